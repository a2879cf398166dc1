#include "common/free_list.h"

#include <new>
#include <vector>

namespace xsensor {
namespace {

class FreeLists {
 public:
  static constexpr size_t kStep = 64, kClasses = 64;
  static size_t ClassOf(size_t size) { return (size + kStep - 1) / kStep; }
  ~FreeLists() {
    for (auto& list : lists_) {
      for (void* p : list) ::operator delete(p);
    }
  }
  void* Take(size_t size) {
    size_t c = ClassOf(size);
    if (c >= kClasses) return ::operator new(size);
    if (lists_[c].empty()) return ::operator new(c* kStep);
    void* p = lists_[c].back();
    lists_[c].pop_back();
    return p;
  }
  void Give(void* p, size_t size) {
    size_t c = ClassOf(size);
    if (c >= kClasses || lists_[c].size() >= kMaxKept) {
      ::operator delete(p);
      return;
    }
    lists_[c].push_back(p);
  }

 private:
  static constexpr size_t kMaxKept = 1 << 16;  // per class: what a burst of flows leaves
  std::vector<void*> lists_[kClasses];
};

FreeLists& ThisThread() {
  thread_local FreeLists lists;
  return lists;
}

}  // namespace

void* FreeListTake(size_t size) { return ThisThread().Take(size); }
void FreeListGive(void* p, size_t size) { ThisThread().Give(p, size); }

}  // namespace xsensor
