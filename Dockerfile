# Fathom in a container: the builder compiles and runs the unit tests; the runtime image
# holds the binary, the policies and the bundled problems, and runs as a non-root user.
#
#   podman build -t fathom . && podman run --rm fathom doctor
#
# Inside an unprivileged container some isolation layers are usually unavailable (user
# namespaces, cgroup delegation); `fathom doctor` says which, runs record it, and
# `--require LAYER` fails closed instead of degrading.

FROM debian:bookworm AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libseccomp-dev libboost1.81-dev libyaml-cpp-dev libgtest-dev libgmock-dev \
      libabsl-dev nlohmann-json3-dev zlib1g-dev libicu-dev libssl-dev libcli11-dev prometheus-cpp-dev \
      libcurl4-openssl-dev libsqlite3-dev \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev \
      python3 python3-numpy \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY sandbox sandbox
COPY grader grader
COPY proto proto
COPY service service
COPY driver driver
COPY benchmarks benchmarks
COPY fuzz fuzz
COPY cli cli
COPY clients clients
COPY tests tests
COPY bench bench
COPY policies policies
COPY problems problems
# Only the binary: the tests run on the host (scripts/test), where every isolation layer
# exists, and in this image through `fathom runtimes --self-test` (scripts/container-test).
# The ccache directory is a build cache mount, so a rebuild after a small change is quick;
# it never reaches an image layer.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target fathom

FROM debian:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-numpy libseccomp2 libyaml-cpp0.7 libabsl20220623 zlib1g libssl3 \
      libprometheus-cpp-core1.0 libicu72 libcurl4 libsqlite3-0 \
      libgrpc++1.51 libprotobuf32 \
      g++ gcc libboost-dev libssl-dev bash coreutils sed grep mawk bc \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 fathom
# The go, rust, rust-test, lua, ruby, php, perl, r, cs and d runtimes: Debian's
# toolchains, and the files toolchains/prepare builds for them (Go's build cache with
# testify, the crates HumanEval-X's Rust tests use, C#'s entry point) under
# /usr/local/lib/fathom.
COPY toolchains /opt/fathom/toolchains
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      golang-go golang-github-stretchr-testify-dev \
      rustc cargo librust-rand-dev librust-regex-dev librust-md5-dev \
      lua5.3 lua-unit ruby php-cli perl libtest-deep-perl \
      r-base-core mono-mcs mono-runtime libmono-system-numerics4.0-cil gdc \
 && /opt/fathom/toolchains/prepare \
 && rm -rf /var/lib/apt/lists/*
# Runtimes: Java (javac, java; zip packs the classes; javatuples for MultiPL-E's Java,
# java-multipl-e.yaml), JavaScript and TypeScript (node, tsc); javac's class-data-sharing
# archive (scripts/javac-cds, java.yaml); MultiPL-E's Racket (racket, rackunit) and Scala
# (scala 2.11, on the JDK installed with it) with scalac's class-data-sharing archive
# (scripts/scalac-cds, scala.yaml).
COPY scripts/javac-cds scripts/scalac-cds /opt/fathom/scripts/
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      openjdk-17-jdk-headless zip libjavatuples-java nodejs node-typescript racket scala \
 && rm -rf /var/lib/apt/lists/* \
 && /opt/fathom/scripts/javac-cds \
 && /opt/fathom/scripts/scalac-cds
COPY --from=build /src/build/fathom /opt/fathom/bin/fathom
COPY policies /opt/fathom/policies
COPY problems /opt/fathom/problems
COPY benchmarks /opt/fathom/benchmarks
USER fathom
WORKDIR /home/fathom
ENTRYPOINT ["/opt/fathom/bin/fathom"]
CMD ["doctor"]
