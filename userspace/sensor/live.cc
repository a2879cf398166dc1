#include "sensor/live.h"

#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "sensor/placement.h"
#include "sensor/report.h"

namespace xsensor {
namespace {

constexpr size_t kRecordRing = 16384;
// Hand-off rings: one per (sender, owner) pair of workers, so n·(n-1) of them (n·n with stamped
// frames: a worker's own frames wait in an inbox too); their slots are
// whole frames. Slots per ring: as many as fit the budget, a power of two in [64, 1024] (with
// a symmetric RSS key hand-offs are rare; 1024 slots of 4 KB for every pair of 32 queues
// would be 4 GB).
constexpr size_t kHandoffBudgetBytes = 256u << 20;
constexpr size_t kHandoffRingMax = 1024, kHandoffRingMin = 64;

}  // namespace

size_t HandoffRingSlots(size_t workers) {
  // Counted as n·n rings: with stamped frames a worker has an inbox of its own as well.
  size_t pairs = workers * workers;
  size_t fit = kHandoffBudgetBytes / (pairs * sizeof(HandoffFrame));
  size_t slots = kHandoffRingMax;
  while (slots > kHandoffRingMin && slots > fit) slots /= 2;
  return slots;
}

namespace {
constexpr uint32_t kBatch = 64;
// Mirror mode: a worker whose ring ran empty less than kBusyWindowUs after its last frame
// sleeps kCoalesceUs on a timer and takes what has come meanwhile, instead of sleeping in
// poll() until the next frame wakes it. At tens of thousands of frames a second per queue a
// poll() wake-up (an IPI and two context switches) came for every frame or two; a timer gives
// one a batch. Idle longer than the window, it sleeps in poll() again. Not inline, where frames
// wait in the ring before they are forwarded (latency first), nor with hand-offs between
// workers: a worker that slept on a timer would find a flow's frames in its own ring and in its
// inbox with nothing to say which came first (poll() wakes it at the first of them).
constexpr int64_t kCoalesceUs = 200;
constexpr int64_t kBusyWindowUs = 20'000;

// Stamped frames' order keys: XDP's nanoseconds times 64 plus the reading worker's index (a
// tie between two queues is broken by it; CLOCK_MONOTONIC·64 lasts 4.5 years of uptime).
// kReadSlackNs: what XDP may have stamped and not yet put in the ring when a worker finds it
// empty. kWakeSlackNs: how long a worker asleep in poll() may take to wake and hand over a
// frame that came in (its horizon is then taken as now less this).
constexpr int64_t kOrderKeyStep = 64;
constexpr int64_t kReadSlackNs = 50'000;
constexpr int64_t kWakeSlackNs = 2'000'000;
int64_t OrderKey(int64_t ns, size_t worker) {
  return ns * kOrderKeyStep + static_cast<int64_t>(worker % kOrderKeyStep);
}

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of bpf_ktime_get_ns()
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace

uint32_t InterfaceRxQueues(const std::string& ifname) {
  std::error_code ec;
  uint32_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator("/sys/class/net/" + ifname + "/queues", ec)) {
    if (e.path().filename().string().rfind("rx-", 0) == 0) ++n;
  }
  return n;
}

bool FramesStamped(const Config& config) {
  return config.capture_mirror() && !config.affinity_by_queue();
}

XdpProgramOptions XdpOptionsFor(const Config& config) {
  XdpProgramOptions po;
  po.mirror_mode = config.capture_mirror();
  po.sniff_payload = config.xdp_sniff;
  po.steer_fragments = config.ip_reassembly;
  po.stamp_time = FramesStamped(config);
  auto ports = [](bool parsers, uint8_t l4_proto, const std::vector<uint16_t>& listed) {
    std::vector<uint16_t> out = parsers ? ParserPorts(l4_proto) : std::vector<uint16_t>{};
    out.insert(out.end(), listed.begin(), listed.end());
    return out;
  };
  po.tcp_ports = ports(config.steer_tcp_ports.parsers, 6, config.steer_tcp_ports.ports);
  po.udp_ports = ports(config.steer_udp_ports.parsers, 17, config.steer_udp_ports.ports);
  po.tcp_starts = ParserPayloadStarts(6);
  po.udp_starts = ParserPayloadStarts(17);
  return po;
}

absl::StatusOr<std::unique_ptr<LiveSensor>> LiveSensor::Create(const Config& config,
                                                               std::vector<std::string> ifaces) {
  // Before anything is attached: a mode that does not fit the link is refused, not run.
  if (absl::Status st = CheckPlacement(config, ifaces); !st.ok()) return st;
  std::unique_ptr<LiveSensor> s(new LiveSensor());
  s->config_ = config;
  s->mode_description_ = CaptureModeDescription(config, ifaces);
  auto prog = XdpProgram::Load(XdpOptionsFor(config));
  if (!prog.ok()) return prog.status();
  s->program_ = std::move(*prog);
  auto core = SensorCore::Create(config);
  if (!core.ok()) return core.status();
  s->core_ = std::move(*core);
  if (config.metrics_listen) {
    // Metrics are for the operator; a port already taken must not stop the capture.
    auto server = MetricsServer::Create(*config.metrics_listen);
    // The default port taken (another instance, xsensor@eth2 beside xsensor@eth1): the next
    // free one of the 63 after it, said in the log and on /metrics' own address. A port the
    // operator chose is used or reported, never moved.
    if (!server.ok() && absl::IsAlreadyExists(server.status()) &&
        !config.where.count("metrics_listen")) {
      Endpoint ep = *config.metrics_listen;
      for (int i = 1; i < 64 && !server.ok() && absl::IsAlreadyExists(server.status()); ++i) {
        ep.set_port(static_cast<uint16_t>(config.metrics_listen->port() + i));
        server = MetricsServer::Create(ep);
      }
    }
    if (server.ok()) {
      s->metrics_ = std::move(*server);
      const uint16_t asked = config.metrics_listen->port(), got = s->metrics_->endpoint().port();
      XS_LOG_INFO("metrics at http://", s->metrics_->endpoint().ToString(), "/metrics",
                  got != asked && asked != 0
                      ? absl::StrCat(" (", asked, " is taken: another instance's?)")
                      : "");
    } else {
      XS_LOG_ERROR(server.status().message(), " (no metrics endpoint; capture goes on)");
    }
  }

  XdpMode want = config.xdp_mode == "native" ? XdpMode::kNative
                 : config.xdp_mode == "skb"  ? XdpMode::kSkb
                                             : XdpMode::kAuto;
  XskOptions xo;
  xo.ring_size = config.xsk_ring_size;
  xo.busy_poll_us = config.xsk_busy_poll;
  xo.busy_poll_budget = kBatch;
  if (config.xsk_busy_poll && config.worker_cpus.empty()) {
    XS_LOG_WARN(
        "xsk_busy_poll: the workers never sleep, and without worker_cpus they spin on "
        "CPUs the rest of this host uses");
  }
  // Queue `q` of `ifname`, read through `xsk`, socket-map slot = its index in queues_.
  auto add_queue = [&s](const std::string& ifname, uint32_t q, uint16_t channel,
                        std::unique_ptr<XskSocket> xsk, XdpMode mode) -> absl::Status {
    auto queue = std::make_unique<Queue>();
    queue->ifname = ifname;
    queue->queue = q;
    queue->channel = channel;
    queue->slot = static_cast<uint32_t>(s->queues_.size());
    queue->xsk = std::move(xsk);
    if (auto st = s->program_->RegisterSocket(queue->slot, queue->xsk->fd()); !st.ok()) return st;
    XS_LOG_INFO(ifname, " queue ", q, ": XDP ", XdpModeName(mode), ", AF_XDP ",
                queue->xsk->zero_copy() ? "zero-copy" : "copy", " mode",
                queue->xsk->forwarding() ? ", forwarding to the peer port" : "",
                queue->xsk->busy_polling() ? ", busy polling" : "");
    s->queues_.push_back(std::move(queue));
    return absl::OkStatus();
  };
  // The program on `ifname`, its queues' sockets at slots `base` on.
  auto attach = [&s, want](const std::string& ifname, uint32_t base) -> absl::StatusOr<XdpMode> {
    if (auto st = s->program_->RegisterInterface(if_nametoindex(ifname.c_str()), base); !st.ok()) {
      return st;
    }
    auto mode = s->program_->Attach(ifname, want);
    if (mode.ok()) s->attached_.emplace_back(ifname, *mode);
    return mode;
  };
  auto queues_of = [&config](const std::string& ifname) {
    uint32_t nq = InterfaceRxQueues(ifname);
    return config.in_queues > 0 ? std::min(nq, config.in_queues) : nq;
  };
  if (!config.capture_mirror()) {
    // Inline: the bridge's two ports, one program on each; queue q of both ports read by a
    // pair of sockets on one UMEM, each sending what it reads out of the other port. Queues
    // beyond the smaller count have no socket: the program passes their frames to the bridge.
    const std::string& a = ifaces.front();
    const std::string& b = config.inline_peer;
    const uint32_t nq = std::min(queues_of(a), queues_of(b));
    if (nq == 0) return absl::NotFoundError(absl::StrCat("no receive queues on ", a, " or ", b));
    auto mode_a = attach(a, 0);
    if (!mode_a.ok()) return mode_a.status();
    auto mode_b = attach(b, nq);
    if (!mode_b.ok()) return mode_b.status();
    xo.skb_mode = *mode_a == XdpMode::kSkb || *mode_b == XdpMode::kSkb;
    std::vector<std::unique_ptr<XskSocket>> peers;
    for (uint32_t q = 0; q < nq; ++q) {
      auto pair = XskSocket::CreateBridgePair(a, b, q, xo);
      if (!pair.ok()) return pair.status();
      // One bridge, one channel: both ports' records carry BRIDGE_CHANNEL_NUM 1.
      if (auto st = add_queue(a, q, 1, std::move(pair->first), *mode_a); !st.ok()) {
        return st;
      }
      peers.push_back(std::move(pair->second));
    }
    for (uint32_t q = 0; q < nq; ++q) {
      if (auto st = add_queue(b, q, 1, std::move(peers[q]), *mode_b); !st.ok()) {
        return st;
      }
    }
  } else {
    uint16_t interface_number = 0;
    for (const std::string& ifname : ifaces) {
      ++interface_number;
      const uint32_t nq = queues_of(ifname);
      if (nq == 0) return absl::NotFoundError(absl::StrCat("interface ", ifname, " not found"));
      auto mode = attach(ifname, static_cast<uint32_t>(s->queues_.size()));
      if (!mode.ok()) return mode.status();
      xo.skb_mode = *mode == XdpMode::kSkb;
      for (uint32_t q = 0; q < nq; ++q) {
        auto xsk = XskSocket::Create(ifname, q, xo);
        if (!xsk.ok()) return xsk.status();
        if (auto st = add_queue(ifname, q, interface_number, *std::move(xsk), *mode); !st.ok()) {
          return st;
        }
      }
    }
  }
  const size_t n = s->queues_.size();
  // Workers hand frames to each other only when a flow's owner is chosen by hash. Inline, a
  // flow's two directions come in on two ports, so by hash whatever flow_affinity says.
  s->handoff_ = n > 1 && (!config.affinity_by_queue() || !config.capture_mirror());
  if (config.affinity_by_queue() && !config.capture_mirror()) {
    XS_LOG_WARN(config.Where("flow_affinity"),
                ": queue is not possible inline (a flow's directions arrive on two ports); "
                "flows are given to workers by hash");
  }
  s->stamped_ = FramesStamped(config);
  const size_t rings = s->stamped_ ? n * n : s->handoff_ ? n * (n - 1) : 0;
  if (rings) {
    size_t slots = HandoffRingSlots(n);
    XS_LOG_INFO(s->stamped_ ? "frames in arrival order, " : "", "hand-off rings: ", rings, " of ",
                slots, " frames (", rings * slots * sizeof(HandoffFrame) >> 20, " MiB)");
  }
  for (size_t i = 0; i < n; ++i) {
    Queue& q = *s->queues_[i];
    q.cpu = i < config.worker_cpus.size() ? config.worker_cpus[i] : -1;
    q.records = std::make_unique<SpscRing<EncodedRecord>>(kRecordRing);
    q.sink = std::make_unique<QueueSink>(q.records.get());
    q.worker = s->core_.MakeWorker(config, static_cast<uint8_t>(i), q.sink.get());
    for (size_t j = 0; (s->handoff_ || s->stamped_) && j < n; ++j) {
      q.inbox.push_back(j == i && !s->stamped_
                            ? nullptr
                            : std::make_unique<SpscRing<HandoffFrame>>(HandoffRingSlots(n)));
    }
    if (s->handoff_ || s->stamped_) {
      q.wake = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
      if (q.wake.get() < 0) return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
    }
    Queue* qp = &q;
    XdpProgram* prog_ptr = s->program_.get();
    uint64_t timeout_ns = uint64_t{config.bypass_timeout} * 1000000000ull;
    q.worker->set_bypass_callback(
        [qp, prog_ptr, timeout_ns](const Flow& f, const Worker::BypassRequest& r) {
          if (r.kind == Worker::BypassRequest::Kind::kClear) {
            (void)prog_ptr->ClearBypass(f.key);  // (gone already when it had expired)
            return;
          }
          xs_bypass b{};
          b.expires_ns = static_cast<uint64_t>(MonotonicNanos()) + timeout_ns;
          b.server_is_lo = f.client_is_lo ? 0 : 1;
          b.skip_to_client = r.skip_to_client ? 1 : 0;
          b.skip_to_server_data = r.skip_to_server_data ? 1 : 0;
          b.to_client_until_set = r.to_client_until_set ? 1 : 0;
          b.to_client_until = r.to_client_until;
          // A SYN with the client stream's own number is a retransmission to XDP as it is to
          // the worker: the entry stays.
          const TcpReassembler& client = f.tcp[static_cast<int>(Dir::kToServer)];
          if (f.key.proto == 6 && client.started()) {
            b.client_isn_set = 1;
            b.client_isn = client.isn();
          }
          if (prog_ptr->SetBypass(f.key, b).ok()) {
            qp->bypass_set.fetch_add(1, std::memory_order_relaxed);
          } else {
            qp->bypass_errors.fetch_add(1, std::memory_order_relaxed);
          }
        });
  }
  return s;
}

LiveSensor::~LiveSensor() {
  receiving_stop_ = true;
  for (auto& q : queues_) {
    if (q->thread.joinable()) q->thread.join();
  }
  // Detached before the members go: the sockets (queues_) would close first, with the program
  // still redirecting into them.
  if (program_) program_->Detach();
}

size_t LiveSensor::DrainInbox(Queue& q) {
  size_t n = 0;
  for (auto& ring : q.inbox) {
    if (!ring) continue;
    while (HandoffFrame* f = ring->Peek()) {
      q.worker->set_interface_channel(f->channel);
      q.worker->HandleDecoded(f->view, f->len, f->ts_us, f->flow_hash);
      ring->Release();
      ++n;
    }
  }
  if (n) q.handed_in.fetch_add(n, std::memory_order_relaxed);
  return n;
}

bool LiveSensor::InboxEmpty(Queue& q) {
  for (auto& ring : q.inbox) {
    if (ring && ring->Peek()) return false;
  }
  return true;
}

void LiveSensor::WakeOwners(std::vector<uint8_t>* handed_to) {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // the frames published, then the look
  for (size_t i = 0; i < handed_to->size(); ++i) {
    if (!(*handed_to)[i]) continue;
    (*handed_to)[i] = 0;
    if (queues_[i]->sleeping.load(std::memory_order_relaxed)) {
      uint64_t one = 1;
      (void)!write(queues_[i]->wake.get(), &one, sizeof(one));
    }
  }
}

bool LiveSensor::DecodeFrame(Queue& me, absl::string_view* frame, PacketView* p, int64_t now) {
  const auto* data = reinterpret_cast<const uint8_t*>(frame->data());
  const DecodeResult r =
      me.worker->Decode(LinkType::kEthernet, data, frame->size(), frame->size(), p);
  if (r == DecodeCounters::kOk) return true;
  if (r != DecodeCounters::kFragment) return false;
  const std::string* whole = me.worker->Reassemble(data, frame->size(), frame->size(), *p, now);
  if (!whole) return false;
  *frame = *whole;
  data = reinterpret_cast<const uint8_t*>(frame->data());
  return DecodePacket(LinkType::kEthernet, data, frame->size(), frame->size(), p) ==
         DecodeCounters::kOk;
}

bool LiveSensor::HandOver(Queue& me, size_t index, size_t owner, absl::string_view frame,
                          const PacketView& p, uint64_t hash, int64_t now, int64_t key) {
  HandoffFrame* slot = queues_[owner]->inbox[index]->Claim();
  if (!slot || frame.size() > kHandoffFrameMax) {
    me.handoff_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  slot->len = static_cast<uint32_t>(frame.size());
  slot->ts_us = now;
  slot->channel = me.channel;
  slot->flow_hash = hash;
  slot->key = key;
  slot->view = p;
  std::memcpy(slot->data, frame.data(), frame.size());
  MoveViews(&slot->view, reinterpret_cast<const uint8_t*>(frame.data()), slot->data);
  queues_[owner]->inbox[index]->Publish();
  if (owner != index) me.handed_out.fetch_add(1, std::memory_order_relaxed);
  return true;
}

int64_t LiveSensor::OrderBound(int64_t now_ns) const {
  int64_t bound = INT64_MAX;
  for (const auto& q : queues_) {
    bound = std::min(bound, q->sleeping.load(std::memory_order_acquire)
                                ? OrderKey(now_ns - kWakeSlackNs, 63)
                                : q->horizon.load(std::memory_order_acquire));
  }
  return bound;
}

size_t LiveSensor::TakeInOrder(Queue& q, int64_t bound) {
  size_t n = 0, in = 0;
  for (;;) {
    size_t best = q.inbox.size();
    int64_t best_key = bound;
    for (size_t j = 0; j < q.inbox.size(); ++j) {
      const HandoffFrame* f = q.inbox[j]->Peek();
      if (f && f->key <= best_key) {
        best = j;
        best_key = f->key;
      }
    }
    if (best == q.inbox.size()) break;
    HandoffFrame* f = q.inbox[best]->Peek();
    q.worker->set_interface_channel(f->channel);
    q.worker->HandleDecoded(f->view, f->len, f->ts_us, f->flow_hash);
    q.inbox[best]->Release();
    ++n;
    if (&q != queues_[best].get()) ++in;
  }
  if (in) q.handed_in.fetch_add(in, std::memory_order_relaxed);
  return n;
}

void LiveSensor::StampedLoop(size_t index) {
  Queue& me = *queues_[index];
  const size_t n = queues_.size();
  int64_t last_expire = 0;
  int64_t last_frame = 0;
  std::vector<uint8_t> handed_to(n, 0);
  for (bool last_pass = false;;) {
    if (receiving_stop_.load(std::memory_order_acquire)) {
      if (last_pass) break;
      last_pass = true;
    }
    const int64_t now = WallMicros();
    const int64_t now_ns = MonotonicNanos();
    // Read no more than every inbox it fills can take: the rest waits in the socket's ring.
    size_t room = kBatch;
    for (size_t j = 0; j < n; ++j) room = std::min(room, queues_[j]->inbox[index]->free());
    const auto max = static_cast<uint32_t>(room);
    uint32_t got = 0;
    if (max) {
      got = me.xsk->Receive(max, [&](absl::string_view frame) {
        if (frame.size() < sizeof(int64_t)) return;  // not stamped by this program
        int64_t xdp_ns;
        std::memcpy(&xdp_ns, frame.data(), sizeof(xdp_ns));
        frame.remove_prefix(sizeof(xdp_ns));
        // A stamp from another clock than the one read here (never seen; bpf_xdp_adjust_head
        // has the headroom XDP guarantees) would hold its ring back for good: taken as now.
        if (xdp_ns > now_ns + 1'000'000'000 || xdp_ns < now_ns - 60'000'000'000) xdp_ns = now_ns;
        // Keys are unique and rise with every frame this worker reads.
        me.last_key = std::max(OrderKey(xdp_ns, index), me.last_key + kOrderKeyStep);
        PacketView p;
        if (!DecodeFrame(me, &frame, &p, now)) return;
        bool from_lo;
        const uint64_t hash = FlowHash(MakeFlowKey(p, &from_lo));
        const size_t owner = hash % n;
        if (HandOver(me, index, owner, frame, p, hash, now, me.last_key) && owner != index) {
          handed_to[owner] = 1;
        }
      });
    }
    if (got) me.received.fetch_add(got, std::memory_order_relaxed);
    if (last_pass && got) last_pass = false;  // the ring is not empty yet
    // What it may still hand over: frames read later (a full batch: the ring may hold more),
    // or frames XDP has yet to see (the ring ran dry at now_ns).
    if (max) {
      me.horizon.store(
          got < max ? std::max(me.last_key, OrderKey(now_ns - kReadSlackNs, 63)) : me.last_key,
          std::memory_order_release);
    }
    if (got) WakeOwners(&handed_to);
    const size_t taken = TakeInOrder(me, OrderBound(MonotonicNanos()));
    if (got || taken) {
      me.worker->PublishGauges();
      last_frame = now;
      continue;
    }
    if (now - last_expire > 100'000) {
      me.worker->Expire(now);
      last_expire = now;
    }
    if (last_pass) continue;
    // Frames held for their turn, or busy lately: a short sleep on a timer takes what comes
    // meanwhile in one batch. Idle: poll() until a frame or a hand-off comes.
    if (!InboxEmpty(me) || now - last_frame < kBusyWindowUs) {
      std::this_thread::sleep_for(std::chrono::microseconds(kCoalesceUs));
      continue;
    }
    me.sleeping.store(true, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!InboxEmpty(me)) {
      me.sleeping.store(false, std::memory_order_relaxed);
      continue;
    }
    me.xsk->Wait(2, me.wake.get());
    me.sleeping.store(false, std::memory_order_release);
  }
  workers_done_.fetch_add(1);
}

void LiveSensor::WorkerLoop(size_t index, const std::atomic<bool>* stop) {
  Queue& me = *queues_[index];
  if (me.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(me.cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  if (stamped_) {
    StampedLoop(index);
    return;
  }
  const size_t n = queues_.size();
  int64_t last_expire = 0;
  int64_t last_frame = 0;  // when the last batch had frames (WallMicros)
  const bool coalesce = !me.xsk->forwarding() && !handoff_;
  std::vector<uint8_t> handed_to(n, 0);  // owners this batch handed frames to
  (void)stop;  // Run() watches it: it detaches the program first, then sets receiving_stop_
  for (bool last_pass = false;;) {
    // After receiving_stop_ the program is detached: one more pass takes what was already
    // redirected into the socket, then the loop ends.
    if (receiving_stop_.load(std::memory_order_acquire)) {
      if (last_pass) break;
      last_pass = true;
    }
    // Frames handed over while this worker slept or ran its last batch are older than what its
    // own queue holds now: taken first, so a flow's two directions keep their order.
    size_t drained = DrainInbox(me);
    int64_t now = WallMicros();
    uint32_t got = me.xsk->Receive(kBatch, [&](absl::string_view frame) {
      // Fragments are reassembled here, where they arrive; the whole datagram then goes to
      // its flow's owner like any frame.
      PacketView p;
      if (!DecodeFrame(me, &frame, &p, now)) return;
      bool from_lo;
      const uint64_t hash = FlowHash(MakeFlowKey(p, &from_lo));
      if (handoff_) {
        const size_t owner = hash % n;
        if (owner != index) {
          if (HandOver(me, index, owner, frame, p, hash, now, 0)) handed_to[owner] = 1;
          return;
        }
      }
      me.worker->set_interface_channel(me.channel);
      me.worker->HandleDecoded(p, frame.size(), now, hash);
    });
    if (got) me.received.fetch_add(got, std::memory_order_relaxed);
    if (last_pass && got) last_pass = false;  // the ring is not empty yet
    if (me.xsk->forwarding()) UpdateShed(me);
    if (got) WakeOwners(&handed_to);
    drained += DrainInbox(me);
    if (got || drained) {
      me.worker->PublishGauges();
      last_frame = now;
    }
    if (got == 0 && drained == 0) {
      if (now - last_expire > 100'000) {
        me.worker->Expire(now);
        last_expire = now;
      }
      if (me.xsk->busy_polling() && !last_pass) {
        // The operator gave this worker its core: no sleep, the driver runs here.
        me.xsk->ServiceForwarding();
        me.xsk->BusyPoll();
        continue;
      }
      if (coalesce && now - last_frame < kBusyWindowUs && !last_pass) {
        std::this_thread::sleep_for(std::chrono::microseconds(kCoalesceUs));
        continue;
      }
      // Asleep before the inboxes are looked at once more: a sender that publishes after this
      // look sees the flag (both sides fence) and writes the eventfd.
      me.sleeping.store(true, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!InboxEmpty(me)) {
        me.sleeping.store(false, std::memory_order_relaxed);
        continue;
      }
      // Inline: what was sent out of the peer port comes back to the fill ring; a frame still
      // on the TX ring is sent now, not when the next one arrives.
      me.xsk->ServiceForwarding();
      me.xsk->Wait(me.xsk->InFlight() ? 1 : 2, me.wake.get());
      me.sleeping.store(false, std::memory_order_relaxed);
    }
  }
  // Inline: the frames read last still go out of the peer port (bounded: a port that is down
  // completes nothing).
  for (int i = 0; i < 1000 && me.xsk->InFlight() > 0; ++i) {
    me.xsk->ServiceForwarding();
    if (me.xsk->InFlight() > 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (me.shed) (void)program_->SetShed(me.slot, false);
  // Take what the other workers already handed over; they may still be handing more, so the
  // last drain happens after all have stopped receiving (see Run).
  workers_done_.fetch_add(1);
}

void LiveSensor::UpdateShed(Queue& q) {
  // Skip inspection before traffic is dropped: with half the ring waiting, what this queue
  // would steer is passed to the bridge uninspected until the worker has caught up (an eighth).
  const uint32_t backlog = q.xsk->Backlog();
  const bool shed =
      q.shed ? backlog > config_.xsk_ring_size / 8 : backlog > config_.xsk_ring_size / 2;
  if (shed == q.shed) return;
  if (!program_->SetShed(q.slot, shed).ok()) return;
  q.shed = shed;
  if (shed) q.shed_episodes.fetch_add(1, std::memory_order_relaxed);
}

void LiveSensor::Run(const std::atomic<bool>* stop, const std::function<void()>& on_tick) {
  // Here, not in Create: the process has dropped its privileges by now, and every thread it
  // starts from here on has none (capabilities and no_new_privs are per thread).
  core_.StartThreads();
  for (size_t i = 0; i < queues_.size(); ++i) {
    queues_[i]->thread = std::thread([this, i, stop] { WorkerLoop(i, stop); });
  }
  auto drain_records = [this] {
    size_t moved = 0;
    for (auto& q : queues_) {
      moved += DrainRecordRing(q->records.get(), [this](const EncodedRecord& r) {
        core_.exporter->EmitEncoded(*r.spec, r.bytes, r.session_id);
      });
    }
    return moved;
  };
  // Records a worker dropped because its ring to the exporter was full: alerted by the
  // exporter like the collectors' own drops.
  std::vector<uint64_t> ring_dropped(queues_.size(), 0);
  auto note_ring_drops = [&] {
    for (size_t i = 0; i < queues_.size(); ++i) {
      uint64_t now = queues_[i]->sink->dropped();
      if (now > ring_dropped[i]) {
        core_.exporter->NoteSkipped(
            absl::StrCat("the record queue of ", queues_[i]->ifname, " queue ", queues_[i]->queue),
            now - ring_dropped[i]);
        ring_dropped[i] = now;
      }
    }
  };
  core_.exporter->Tick(MonotonicMicros());
  int idle_rounds = 0;
  while (workers_done_.load() < queues_.size()) {
    if (stop->load(std::memory_order_relaxed) && !receiving_stop_.load()) {
      // Inline mode: traffic must keep flowing while the last frames are read and every flow
      // is ended. Detached first, the program redirects nothing more; then the workers empty
      // their sockets and stop.
      program_->Detach();
      receiving_stop_.store(true, std::memory_order_release);
    }
    note_ring_drops();
    size_t moved = drain_records();
    int64_t now = MonotonicMicros();
    core_.exporter->Tick(now);
    if (metrics_) metrics_->Poll(now, [this] { return MetricsText(); });
    if (on_tick) on_tick();
    // Idle, the export thread wakes every 5 ms (records wait that long at most; a worker's ring
    // holds 16k of them), not every millisecond; busy, it keeps up every millisecond.
    idle_rounds = moved ? 0 : idle_rounds + 1;
    if (moved == 0) std::this_thread::sleep_for(std::chrono::milliseconds(idle_rounds > 1 ? 5 : 1));
  }
  for (auto& q : queues_) q->thread.join();
  // All receiving has stopped: deliver the last hand-offs, end every flow, export the rest.
  for (auto& q : queues_) {
    if (stamped_) {
      TakeInOrder(*q, INT64_MAX);
    } else {
      DrainInbox(*q);
    }
  }
  for (auto& q : queues_) {
    q->worker->Finish();
    drain_records();
  }
  note_ring_drops();
  core_.exporter->Shutdown(10'000'000);
  if (core_.dns_log) core_.dns_log->Stop();
}

absl::Status LiveSensor::ReloadLogins() { return core_.ReloadLogins(); }

std::string LiveSensor::MetricsText() const {
  PromText m;
  for (const auto& q : queues_) {
    MetricLabels l = {{"interface", q->ifname}, {"queue", std::to_string(q->queue)}};
    XskStats st = q->xsk->Stats();
    m.Counter("xsensor_queue_received_frames_total", "Frames read from the AF_XDP socket.", l,
              q->received.load());
    m.Counter("xsensor_queue_xsk_rx_dropped_total",
              "Frames the kernel dropped for this socket (XDP_STATISTICS rx_dropped).", l,
              st.rx_dropped);
    m.Counter("xsensor_queue_xsk_rx_ring_full_total",
              "Frames dropped because the socket's RX ring was full.", l, st.rx_ring_full);
    m.Counter("xsensor_queue_xsk_fill_ring_empty_total",
              "Times the fill ring was empty when a frame arrived.", l, st.rx_fill_ring_empty);
    m.Counter("xsensor_queue_xsk_invalid_descs_total", "Invalid RX descriptors.", l,
              st.rx_invalid_descs);
    m.Counter("xsensor_queue_handed_out_total", "Frames passed to the worker owning their flow.", l,
              q->handed_out.load());
    m.Counter("xsensor_queue_handed_in_total", "Frames taken from other workers.", l,
              q->handed_in.load());
    m.Counter("xsensor_queue_handoff_dropped_total",
              "Frames dropped because the owner's hand-off ring was full.", l,
              q->handoff_dropped.load());
    m.Counter("xsensor_queue_records_dropped_total",
              "Records dropped because the export thread was behind (ring full).", l,
              q->sink->dropped());
    if (q->xsk->forwarding()) {
      XskForwardStats fw = q->xsk->forward_stats();
      m.Counter("xsensor_queue_forwarded_frames_total",
                "Inline: frames read from this queue and sent out of the peer port (AF_XDP TX).", l,
                fw.forwarded);
      m.Counter("xsensor_queue_forward_dropped_total",
                "Inline: frames read from this queue that the peer port's TX ring had no room for.",
                l, fw.tx_dropped);
      m.Counter("xsensor_queue_forward_kick_errors_total",
                "Inline: failed sends on the peer port (other than busy).", l, fw.tx_kick_errors);
      m.Counter("xsensor_queue_shed_episodes_total",
                "Inline: times the worker fell behind and its queue's traffic was passed "
                "uninspected until it caught up.",
                l, q->shed_episodes.load());
    }
    m.Counter("xsensor_queue_bypass_set_total", "Flows bypassed in XDP.", l, q->bypass_set.load());
    m.Counter("xsensor_queue_bypass_errors_total", "Bypass map updates that failed.", l,
              q->bypass_errors.load());
    WorkerMetrics(*q->worker, l, &m);
  }
  // The XDP program's counters, each family a partition (a sum() is a real quantity): every
  // packet it saw by action; the steered ones by why; packets it could not steer by why.
  auto xdp = program_->Counters();
  for (int i : {XS_CNT_STEERED, XS_CNT_BYPASSED, XS_CNT_PASSED, XS_CNT_DROPPED}) {
    m.Counter("xsensor_xdp_packets_total",
              "Packets the XDP program saw, by action (steered to a socket, bypassed, passed to "
              "the kernel, dropped in mirror mode).",
              {{"action", XdpProgram::CounterName(i)}}, xdp[i]);
  }
  static constexpr std::pair<int, const char*> kSteeredBy[] = {{XS_CNT_STEER_PORT, "port"},
                                                               {XS_CNT_STEER_MAP, "flow"},
                                                               {XS_CNT_STEER_SNIFF, "payload"},
                                                               {XS_CNT_STEER_FRAGMENT, "fragment"}};
  for (auto [i, reason] : kSteeredBy) {
    m.Counter("xsensor_xdp_steered_packets_total",
              "Packets steered to a socket, by why: a configured port, a flow already steered, "
              "the payload's first bytes, a UDP fragment.",
              {{"reason", reason}}, xdp[i]);
  }
  for (int i : {XS_CNT_NO_SOCKET, XS_CNT_NOT_IP, XS_CNT_NOT_TCP_UDP, XS_CNT_PARSE_ETH,
                XS_CNT_PARSE_VLAN_MPLS, XS_CNT_PARSE_IP, XS_CNT_PARSE_L4}) {
    m.Counter("xsensor_xdp_unsteerable_packets_total",
              "Packets the XDP program could not steer, by why (no socket on the queue, not IP, "
              "not TCP/UDP, a header it could not parse); passed or dropped.",
              {{"reason", XdpProgram::CounterName(i)}}, xdp[i]);
  }
  m.Counter("xsensor_xdp_shed_packets_total",
            "Inline: packets of interest passed uninspected because their queue's worker was "
            "behind (the sensor skips inspection before it drops traffic).",
            {}, xdp[XS_CNT_SHED]);
  m.Counter("xsensor_xdp_fragments_total", "IP fragments the XDP program saw.", {},
            xdp[XS_CNT_FRAGMENT]);
  m.Counter("xsensor_xdp_bypassed_reply_body_packets_total",
            "Bypassed packets that were inside an HTTP reply body userspace skipped.", {},
            xdp[XS_CNT_BYPASSED_BODY]);
  for (auto [i, why] : {std::pair{XS_CNT_BYPASS_EXPIRED, "expired"},
                        std::pair{XS_CNT_BYPASS_NEW_CONNECTION, "new_connection"}}) {
    m.Counter("xsensor_xdp_bypass_entries_removed_total",
              "Bypass entries the XDP program removed, by why (past their expiry, or a client's "
              "SYN opening a new connection on their addresses and ports).",
              {{"reason", why}}, xdp[i]);
  }
  if (core_.dns_log) {
    DnsLogStats st = core_.dns_log->stats();
    m.Counter("xsensor_dns_log_lines_written_total", "DNS text log lines written.", {},
              st.lines_written);
    m.Counter("xsensor_dns_log_lines_dropped_total", "DNS text log lines dropped.", {},
              st.lines_dropped);
    m.Counter("xsensor_dns_log_write_errors_total", "DNS text log write errors.", {},
              st.write_errors);
  }
  if (core_.radius) {
    const RadiusStats& r = core_.radius->stats();
    m.Counter("xsensor_radius_requests_total", "RADIUS Accounting-Requests taken and answered.", {},
              r.requests.load());
    m.Counter("xsensor_radius_refused_total",
              "RADIUS packets refused: bad Request Authenticator, or malformed.",
              {{"reason", "bad_authenticator"}}, r.bad_authenticator.load());
    m.Counter("xsensor_radius_refused_total",
              "RADIUS packets refused: bad Request Authenticator, or malformed.",
              {{"reason", "malformed"}}, r.malformed.load());
    m.Gauge("xsensor_radius_sessions", "Subscriber addresses with a login from RADIUS now.", {},
            r.sessions.load());
    for (auto [why, v] :
         {std::pair{"duplicate", r.duplicates.load()}, std::pair{"stale", r.stale.load()},
          std::pair{"table_full", r.table_full.load()}}) {
      m.Counter("xsensor_radius_ignored_total",
                "Authentic RADIUS requests answered but not applied: seen already (retransmitted "
                "or replayed), stale (older than the address's session, or the Stop of another "
                "session), or the session table full (radius_max_sessions).",
                {{"reason", why}}, v);
    }
  }
  m.Gauge("xsensor_capture_info",
          "How the sensor sits on the link: mode mirror (the capture interfaces receive copies) "
          "or inline (a bridge of two ports whose frames it forwards).",
          {{"mode", config_.capture_mode},
           {"interfaces", absl::StrJoin(attached_names(), ",")},
           {"inline_peer", config_.inline_peer}},
          1);
  ExporterMetrics(*core_.exporter, &m);
  ProcessMetrics(&m);
  return m.Render();
}

uint64_t LiveSensor::FramesReceived() const {
  uint64_t n = 0;
  for (const auto& q : queues_) n += q->received.load(std::memory_order_relaxed);
  return n;
}

std::string LiveSensor::StatusLine() const {
  auto xdp = program_->Counters();
  const ExporterStats& st = core_.exporter->stats();
  uint64_t records = st.records[0] + st.records[1] + st.records[2], dropped = 0;
  for (const auto& q : queues_) dropped += q->sink->dropped() + q->handoff_dropped.load();
  size_t up = 0, total = 0;
  for (const Collector* c : core_.exporter->collectors()) {
    ++total;
    up += c->tcp() ? c->connected() : c->up();
    dropped += c->stats().records_dropped;
  }
  return absl::StrCat("frames ", xdp[XS_CNT_SEEN], " seen, ", xdp[XS_CNT_STEERED], " steered, ",
                      xdp[XS_CNT_BYPASSED], " bypassed, ", FramesReceived(), " read; records ",
                      records, " exported, ", dropped, " dropped; collectors ", up, "/", total,
                      " up");
}

std::string LiveSensor::CountersText() const {
  std::vector<std::string> reports;
  for (const auto& q : queues_) reports.push_back(xsensor::CountersText(*q->worker, nullptr));
  std::string out = SumReports(reports);
  for (const auto& q : queues_) {
    std::string id = absl::StrCat("queue.", q->ifname, ".", q->queue, ".");
    XskStats st = q->xsk->Stats();
    absl::StrAppend(&out, id, "received ", q->received.load(), "\n", id, "handed_out ",
                    q->handed_out.load(), "\n", id, "handed_in ", q->handed_in.load(), "\n", id,
                    "handoff_dropped ", q->handoff_dropped.load(), "\n", id, "records_dropped ",
                    q->sink->dropped(), "\n", id, "bypass_set ", q->bypass_set.load(), "\n", id,
                    "bypass_errors ", q->bypass_errors.load(), "\n", id, "xsk_rx_dropped ",
                    st.rx_dropped, "\n", id, "xsk_rx_ring_full ", st.rx_ring_full, "\n", id,
                    "xsk_fill_ring_empty ", st.rx_fill_ring_empty, "\n", id, "xsk_invalid_descs ",
                    st.rx_invalid_descs, "\n");
    if (q->xsk->forwarding()) {
      XskForwardStats fw = q->xsk->forward_stats();
      absl::StrAppend(&out, id, "forwarded ", fw.forwarded, "\n", id, "forward_dropped ",
                      fw.tx_dropped, "\n", id, "forward_kick_errors ", fw.tx_kick_errors, "\n", id,
                      "shed_episodes ", q->shed_episodes.load(), "\n");
    }
  }
  auto xdp = program_->Counters();
  for (int i = 0; i < XS_CNT_MAX; ++i) {
    absl::StrAppend(&out, "xdp.", XdpProgram::CounterName(i), " ", xdp[i], "\n");
  }
  if (core_.dns_log) {
    DnsLogStats st = core_.dns_log->stats();
    absl::StrAppend(&out, "dns_log.lines_written ", st.lines_written, "\n",
                    "dns_log.lines_dropped ", st.lines_dropped, "\n", "dns_log.files_closed ",
                    st.files_closed, "\n", "dns_log.write_errors ", st.write_errors, "\n");
  }
  out += core_.RadiusCountersText();
  // The exporter's own lines (records per stream, collectors).
  std::string ex = xsensor::CountersText(*queues_[0]->worker, core_.exporter.get());
  size_t pos = ex.find("export.");
  if (pos != std::string::npos) out += ex.substr(pos);
  return out;
}

}  // namespace xsensor
