# Convenience targets; the scripts do the work (and set up a fresh machine first).
.PHONY: all build demo test bench clean
all: build
build:
	@scripts/build
demo:
	@scripts/demo
test:
	@scripts/test
bench:
	@bench/run
clean:
	rm -rf build
