// Thread bomb: threads are allowed (std::thread is legitimate), but the pids limit
// (max_processes, which counts threads) stops them: std::thread throws
// std::system_error, nothing catches it, std::terminate() aborts.
// expect: signaled
// signal: 6
// stderr-contains: Resource temporarily unavailable
#include <chrono>
#include <thread>
#include <vector>
int main() {
  std::vector<std::thread> threads;
  for (;;) {
    threads.emplace_back([] { std::this_thread::sleep_for(std::chrono::hours(1)); });
  }
}
