// The ClickHouse sink of xsensor-recv: every record type in its own MergeTree table (or, over a
// cluster, a Distributed table sharded by SESSION_ID over local tables on every shard), filled
// by batched RowBinary inserts through the server's HTTP interface. The DDL is derived from the
// record schema (proto/xsensor/records.proto) and from what the server's version offers.
//
// Add() never blocks the receiver: rows go to a per-table batch, full or aged batches to a
// bounded queue that one sender thread empties in order, retrying with backoff while no server
// answers. What does not fit is dropped and counted (and logged); Close() sends what is queued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "receiver/receiver.h"

namespace xsensor {

// One server's HTTP interface: http://[user[:password]@]host[:port][/database]
// (user, password and database may also come as ?user=&password=&database=).
struct ClickHouseServer {
  std::string host;
  uint16_t port = 8123;
  std::string database = "xsensor";
  std::string user;
  std::string password;
  std::string ToString() const;  // without the password
};
absl::StatusOr<ClickHouseServer> ParseClickHouseUrl(absl::string_view url);

// What the DDL may use, by server version.
struct ClickHouseFeatures {
  int major = 18, minor = 16;
  bool ip_types = false;                                            // IPv4/IPv6 column types (19.3)
  bool ttl = false;                                                 // table TTL (19.6)
  static ClickHouseFeatures ForVersion(absl::string_view version);  // "18.16.1", "21.8.4.51"
};
// Asks the server its version (before the database exists).
absl::StatusOr<ClickHouseFeatures> ProbeClickHouse(const ClickHouseServer& server);

struct ClickHouseOptions {
  std::vector<ClickHouseServer> servers;  // over a cluster: one per shard; else the first
  std::string cluster;                    // non-empty: Distributed tables over this cluster
  uint32_t ttl_days = 0;                  // > 0: rows older than this go (by day partitions)
  size_t batch_rows = 20000;              // a batch is sent at this many rows...
  int flush_ms = 1000;                    // ...or this old
  size_t max_queue_bytes = 256u << 20;    // rows waiting beyond this are dropped, counted
  int max_batch_failures = 5;             // a batch the server refuses this often is dropped
};

// The statements that create the database and every table (IF NOT EXISTS), in order.
// `local`: the tables of one shard (the MergeTree tables); with a cluster they are named
// TABLE_local and each TABLE is a Distributed table over them.
std::vector<std::string> ClickHouseDdl(const ClickHouseOptions& options,
                                       const ClickHouseFeatures& features,
                                       const std::string& database);
// The table a record goes to: the template's name ("clickstream", "dns", ...).
// One RowBinary row of the record, in the DDL's column order; false for records the schema
// does not know (they have no table).
bool AppendRowBinary(const ReceivedRecord& r, std::string* out);

struct ClickHouseStats {
  uint64_t rows_added = 0;
  uint64_t rows_inserted = 0;
  uint64_t rows_dropped_overflow = 0;  // the queue was full
  uint64_t rows_dropped_refused = 0;   // the server refused their batch max_batch_failures times
  uint64_t rows_dropped_unknown = 0;   // records of templates the schema lacks
  uint64_t batches_inserted = 0;
  uint64_t insert_failures = 0;  // attempts that failed (the batch is retried)
  uint64_t partitions_dropped = 0;
  uint64_t queued_bytes = 0;
};

class ClickHouseSink {
 public:
  explicit ClickHouseSink(ClickHouseOptions options);
  ~ClickHouseSink();
  ClickHouseSink(const ClickHouseSink&) = delete;
  ClickHouseSink& operator=(const ClickHouseSink&) = delete;

  // Thread-safe; never blocks on the network.
  void Add(const ReceivedRecord& r);
  // Sends everything queued, waiting up to timeout_ms for a server; what stays is counted as
  // dropped. Returns true when nothing was left.
  bool Close(int timeout_ms);
  ClickHouseStats stats() const;

 private:
  struct Batch {
    std::string table;
    std::string data;
    uint64_t rows = 0;
    int64_t started_us = 0;
    int failures = 0;
  };
  void Run();
  bool EnsureTables();
  bool Insert(Batch& b);
  void DropOldPartitions();
  void SealLocked(const std::string& table);
  void Backoff();

  const ClickHouseOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Batch> open_;  // per table, being filled
  std::deque<Batch> ready_;
  ClickHouseStats stats_;
  bool stopping_ = false;
  int64_t stop_deadline_us_ = 0;
  int64_t last_overflow_log_us_ = 0;
  uint64_t overflow_logged_ = 0;
  // Sender thread only:
  bool tables_ready_ = false;
  size_t server_ = 0;  // the server inserts go to (the next one after a failure)
  int backoff_ms_ = 0;
  int64_t next_ttl_us_ = 0;  // when the old partitions are looked at again
  ClickHouseFeatures features_;
  std::thread thread_;
};

// One HTTP exchange with a server: the SQL in the `query` parameter (or in the body when `body`
// is empty), `body` as the data. Returns the response body; an error for no answer or an HTTP
// status other than 200 (the server's message in the error).
absl::StatusOr<std::string> ClickHouseQuery(const ClickHouseServer& server, absl::string_view sql,
                                            absl::string_view body = {},
                                            absl::string_view settings = {},
                                            int timeout_ms = 10000);

}  // namespace xsensor
