#include "receiver/clickhouse.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/byte_reader.h"
#include "common/logging.h"
#include "common/time_util.h"
#include "common/unique_fd.h"
#include "schema/schema.h"

namespace xsensor {
namespace {

using google::protobuf::FieldDescriptor;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string UrlDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::string UrlEncode(absl::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsAddress(schema::IpfixType t) {
  return t == schema::IPV4_ADDRESS || t == schema::IPV6_ADDRESS;
}

// The column type of one field.
std::string ColumnType(const FieldSpec& fs, const ClickHouseFeatures& features) {
  if (fs.field->name() == "time_stamp") return "DateTime";
  switch (fs.type) {
    case schema::UNSIGNED8:
      return "UInt8";
    case schema::UNSIGNED16:
      return "UInt16";
    case schema::UNSIGNED32:
      return "UInt32";
    case schema::UNSIGNED64:
      return "UInt64";
    case schema::IPV4_ADDRESS:
    case schema::IPV6_ADDRESS:
      // One table holds both twins: IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d).
      return features.ip_types ? "IPv6" : "FixedString(16)";
    case schema::MAC_ADDRESS:
      return "UInt64";  // MACNumToString() shows it
    default:
      return "String";
  }
}

void PutVarUInt(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

template <typename T>
void PutLe(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutString(std::string* out, absl::string_view s) {
  PutVarUInt(out, s.size());
  out->append(s.data(), s.size());
}

// "1.2.3.4:4739" -> "1.2.3.4", "[::1]:4739" -> "::1".
std::string ExporterAddress(const std::string& exporter) {
  size_t colon = exporter.rfind(':');
  std::string a = colon == std::string::npos ? exporter : exporter.substr(0, colon);
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  return a;
}

// Key columns of the ORDER BY: what operators filter on (time, subscriber, session).
std::string OrderBy(const TemplateSpec& t) {
  std::vector<std::string> keys = {"toStartOfHour(time_stamp)"};
  for (const char* k : {"login", "session_id", "time_stamp"}) {
    for (const FieldSpec& fs : t.fields) {
      if (fs.field->name() == k) keys.push_back(k);
    }
  }
  return absl::StrJoin(keys, ", ");
}

// "Code: 60, e.displayText() = ..." (18.x) or "Code: 60. DB::Exception: ..." (later).
bool HasErrorCode(absl::string_view message, int code) {
  std::string key = absl::StrCat("Code: ", code);
  for (size_t at = message.find(key); at != absl::string_view::npos;
       at = message.find(key, at + 1)) {
    size_t end = at + key.size();
    if (end == message.size() || !absl::ascii_isdigit(static_cast<unsigned char>(message[end]))) {
      return true;
    }
  }
  return false;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Reads an HTTP response: status code and body (Content-Length, chunked, or until close).
absl::StatusOr<std::string> ParseHttpResponse(const std::string& raw, int* status) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    return absl::UnavailableError("no HTTP response");
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(raw).substr(0, head_end), "\r\n");
  std::vector<absl::string_view> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2 || !absl::SimpleAtoi(first[1], status)) {
    return absl::UnavailableError("bad HTTP status line");
  }
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string l = absl::AsciiStrToLower(lines[i]);
    if (absl::StartsWith(l, "transfer-encoding:") && l.find("chunked") != std::string::npos) {
      chunked = true;
    }
  }
  std::string body = raw.substr(head_end + 4);
  if (!chunked) return body;
  std::string out;
  size_t p = 0;
  while (p < body.size()) {
    size_t eol = body.find("\r\n", p);
    if (eol == std::string::npos) break;
    size_t n = 0;
    std::string hex = body.substr(p, eol - p);
    if (!absl::SimpleHexAtoi(hex.substr(0, hex.find(';')), &n) || n == 0) break;
    p = eol + 2;
    out.append(body, p, n);
    p += n + 2;
  }
  return out;
}

}  // namespace

std::string ClickHouseServer::ToString() const {
  return absl::StrCat("http://", user.empty() ? "" : user + "@", host, ":", port, "/", database);
}

absl::StatusOr<ClickHouseServer> ParseClickHouseUrl(absl::string_view url) {
  ClickHouseServer s;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(url, ": https is not supported; use http://"));
  }
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat(url, ": expected http://host[:port][/db]"));
  }
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  absl::string_view path;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = cred.find(':');
    s.user = UrlDecode(cred.substr(0, colon));
    if (colon != absl::string_view::npos) s.password = UrlDecode(cred.substr(colon + 1));
  }
  absl::string_view host = rest;
  if (absl::StartsWith(rest, "[")) {
    size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(url, ": unterminated [IPv6 address]"));
    }
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  } else if (size_t colon = rest.rfind(':'); colon != absl::string_view::npos) {
    host = rest.substr(0, colon);
    rest = rest.substr(colon);
  } else {
    rest = {};
  }
  if (absl::ConsumePrefix(&rest, ":")) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(rest, &port) || port == 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(url, ": bad port '", rest, "'"));
    }
    s.port = static_cast<uint16_t>(port);
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat(url, ": no host"));
  s.host = std::string(host);
  if (!path.empty()) s.database = UrlDecode(path);
  for (absl::string_view kv : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.first == "user") {
      s.user = UrlDecode(p.second);
    } else if (p.first == "password") {
      s.password = UrlDecode(p.second);
    } else if (p.first == "database") {
      s.database = UrlDecode(p.second);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(url, ": unknown parameter '", p.first, "' (user, password, database)"));
    }
  }
  for (char c : s.database) {
    if (!absl::ascii_isalnum(c) && c != '_') {
      return absl::InvalidArgumentError(
          absl::StrCat(url, ": database name '", s.database, "': letters, digits and _ only"));
    }
  }
  return s;
}

ClickHouseFeatures ClickHouseFeatures::ForVersion(absl::string_view version) {
  ClickHouseFeatures f;
  std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(version), '.');
  if (parts.size() >= 2) {
    (void)absl::SimpleAtoi(parts[0], &f.major);
    (void)absl::SimpleAtoi(parts[1], &f.minor);
  }
  auto at_least = [&f](int major, int minor) {
    return f.major > major || (f.major == major && f.minor >= minor);
  };
  f.ip_types = at_least(19, 3);
  f.ttl = at_least(19, 6);
  return f;
}

absl::StatusOr<ClickHouseFeatures> ProbeClickHouse(const ClickHouseServer& server) {
  ClickHouseServer s = server;
  s.database = "default";
  absl::StatusOr<std::string> version = ClickHouseQuery(s, "SELECT version()");
  if (!version.ok()) return version.status();
  return ClickHouseFeatures::ForVersion(*version);
}

std::vector<std::string> ClickHouseDdl(const ClickHouseOptions& options,
                                       const ClickHouseFeatures& features,
                                       const std::string& database) {
  std::vector<std::string> out;
  out.push_back(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", database));
  const Schema& schema = Schema::Get();
  bool cluster = !options.cluster.empty();
  for (const google::protobuf::Descriptor* d : schema.Messages()) {
    const TemplateSpec* t = schema.Find(d, false);
    std::string table = absl::StrCat(database, ".", t->name);
    std::string local = cluster ? table + "_local" : table;
    std::string sql = absl::StrCat("CREATE TABLE IF NOT EXISTS ", local, "\n(\n");
    for (const FieldSpec& fs : t->fields) {
      absl::StrAppend(&sql, "    ", fs.field->name(), " ", ColumnType(fs, features), ",\n");
    }
    absl::StrAppend(&sql,
                    "    exporter String,\n"
                    "    observation_domain UInt32\n)\n"
                    "ENGINE = MergeTree\nPARTITION BY toYYYYMMDD(time_stamp)\nORDER BY (",
                    OrderBy(*t), ")");
    if (options.ttl_days > 0 && features.ttl) {
      absl::StrAppend(&sql, "\nTTL time_stamp + INTERVAL ", options.ttl_days, " DAY");
    }
    out.push_back(std::move(sql));
    if (cluster) {
      // A session's records meet on one shard (joins by SESSION_ID stay local).
      out.push_back(absl::StrCat("CREATE TABLE IF NOT EXISTS ", table, " AS ", local,
                                 "\nENGINE = Distributed(", options.cluster, ", ", database, ", ",
                                 t->name, "_local, intHash64(session_id))"));
    }
  }
  return out;
}

bool AppendRowBinary(const ReceivedRecord& rr, std::string* out) {
  const DecodedRecord& d = rr.record;
  if (!d.spec || !d.message) return false;
  const google::protobuf::Message& m = *d.message;
  const auto* refl = m.GetReflection();
  for (const FieldSpec& fs : d.spec->fields) {
    const FieldDescriptor* f = fs.field;
    uint64_t v = 0;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) v = refl->GetUInt32(m, f);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) v = refl->GetUInt64(m, f);
    if (f->name() == "time_stamp") {
      PutLe(out, static_cast<uint32_t>(v));
      continue;
    }
    switch (fs.type) {
      case schema::UNSIGNED8:
        PutLe(out, static_cast<uint8_t>(v));
        break;
      case schema::UNSIGNED16:
        PutLe(out, static_cast<uint16_t>(v));
        break;
      case schema::UNSIGNED32:
        PutLe(out, static_cast<uint32_t>(v));
        break;
      case schema::UNSIGNED64:
        PutLe(out, v);
        break;
      case schema::MAC_ADDRESS: {
        std::string mac = refl->GetString(m, f);
        uint64_t n = 0;
        for (size_t i = 0; i < 6; ++i) n = (n << 8) | (i < mac.size() ? uint8_t(mac[i]) : 0);
        PutLe(out, n);
        break;
      }
      default:
        if (IsAddress(fs.type)) {
          std::string a = refl->GetString(m, f);
          char b[16] = {};
          if (a.size() == 16) {
            memcpy(b, a.data(), 16);
          } else if (a.size() == 4) {
            b[10] = b[11] = static_cast<char>(0xff);
            memcpy(b + 12, a.data(), 4);
          }
          out->append(b, 16);
        } else {
          PutString(out, refl->GetString(m, f));
        }
    }
  }
  PutString(out, ExporterAddress(rr.exporter));
  PutLe(out, d.domain_id);
  return true;
}

absl::StatusOr<std::string> ClickHouseQuery(const ClickHouseServer& server, absl::string_view sql,
                                            absl::string_view body, absl::string_view settings,
                                            int timeout_ms) {
  std::string target = absl::StrCat("/?database=", UrlEncode(server.database));
  // The credentials in headers (X-ClickHouse-User/-Key; a server takes them or the URL's, not
  // both), not in the URL a server or proxy may log.
  std::string auth;
  if (!server.user.empty()) absl::StrAppend(&auth, "X-ClickHouse-User: ", server.user, "\r\n");
  if (!server.password.empty()) {
    absl::StrAppend(&auth, "X-ClickHouse-Key: ", server.password, "\r\n");
  }
  if (!settings.empty()) absl::StrAppend(&target, "&", settings);
  absl::string_view payload = body;
  if (body.empty()) {
    payload = sql;  // the statement itself is the body
  } else {
    absl::StrAppend(&target, "&query=", UrlEncode(sql));
  }
  std::string request =
      absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: ", server.host, ":", server.port, "\r\n",
                   auth, "Content-Length: ", payload.size(), "\r\nConnection: close\r\n\r\n");
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = absl::StrCat(server.port);
  if (int e = getaddrinfo(server.host.c_str(), port.c_str(), &hints, &res); e != 0) {
    return absl::UnavailableError(absl::StrCat(server.host, ": ", gai_strerror(e)));
  }
  UniqueFd fd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  int rc = fd.get() < 0 ? -1 : connect(fd.get(), res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  std::string where = absl::StrCat(server.host, ":", server.port);
  if (rc < 0 && errno != EINPROGRESS) {
    return absl::UnavailableError(absl::StrCat(where, ": ", strerror(errno)));
  }
  int64_t deadline = NowUs() + int64_t{timeout_ms} * 1000;
  auto wait = [&](short events) -> absl::Status {
    pollfd p{fd.get(), events, 0};
    int left = static_cast<int>((deadline - NowUs()) / 1000);
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      return absl::DeadlineExceededError(absl::StrCat(where, ": no answer in ", timeout_ms, " ms"));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = wait(POLLOUT); !s.ok()) return s;
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return absl::UnavailableError(absl::StrCat(where, ": ", strerror(err)));
  for (absl::string_view part : {absl::string_view(request), payload}) {
    while (!part.empty()) {
      ssize_t n = send(fd.get(), part.data(), part.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) {
        if (absl::Status s = wait(POLLOUT); !s.ok()) return s;
        continue;
      }
      if (n <= 0) return absl::UnavailableError(absl::StrCat(where, ": ", strerror(errno)));
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  std::string raw;
  char buf[16384];
  while (true) {
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return absl::UnavailableError(absl::StrCat(where, ": ", strerror(errno)));
    if (absl::Status s = wait(POLLIN); !s.ok()) return s;
  }
  int status = 0;
  absl::StatusOr<std::string> answer = ParseHttpResponse(raw, &status);
  if (!answer.ok())
    return absl::UnavailableError(absl::StrCat(where, ": ", answer.status().message()));
  if (status != 200) {
    return absl::InternalError(absl::StrCat(where, ": HTTP ", status, ": ",
                                            absl::StripAsciiWhitespace(answer->substr(0, 400))));
  }
  return answer;
}

ClickHouseSink::ClickHouseSink(ClickHouseOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

ClickHouseSink::~ClickHouseSink() { Close(0); }

void ClickHouseSink::SealLocked(const std::string& table) {
  auto it = open_.find(table);
  if (it == open_.end()) return;
  ready_.push_back(std::move(it->second));
  open_.erase(it);
  cv_.notify_one();
}

void ClickHouseSink::Add(const ReceivedRecord& r) {
  thread_local std::string row;  // encoded outside the lock; its capacity kept across records
  row.clear();
  bool known = AppendRowBinary(r, &row);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.rows_added;
  if (!known) {
    ++stats_.rows_dropped_unknown;
    return;
  }
  if (stats_.queued_bytes + row.size() > options_.max_queue_bytes || stopping_) {
    ++stats_.rows_dropped_overflow;
    int64_t now = NowUs();
    if (now - last_overflow_log_us_ > 10'000'000) {
      XS_LOG_WARN("clickhouse: queue full (", stats_.queued_bytes,
                  " bytes waiting): ", stats_.rows_dropped_overflow - overflow_logged_,
                  " rows dropped since the last report");
      last_overflow_log_us_ = now;
      overflow_logged_ = stats_.rows_dropped_overflow;
    }
    return;
  }
  const std::string& table = r.record.spec->name;
  Batch& b = open_[table];
  if (b.rows == 0) {
    b.table = table;
    b.started_us = NowUs();
  }
  b.data += row;
  ++b.rows;
  stats_.queued_bytes += row.size();
  if (b.rows >= options_.batch_rows) SealLocked(table);
}

ClickHouseStats ClickHouseSink::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool ClickHouseSink::Close(int timeout_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return ready_.empty() && open_.empty();
    stopping_ = true;
    stop_deadline_us_ = NowUs() + int64_t{timeout_ms} * 1000;
    while (!open_.empty()) SealLocked(open_.begin()->first);
    cv_.notify_one();
  }
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t left = 0;
  for (const Batch& b : ready_) left += b.rows;
  if (left > 0) {
    XS_LOG_ERROR("clickhouse: no server took the last ", left, " rows in ", timeout_ms,
                 " ms; they are lost");
    stats_.rows_dropped_overflow += left;
    stats_.queued_bytes = 0;
    ready_.clear();
  }
  return left == 0;
}

void ClickHouseSink::Backoff() {
  backoff_ms_ = backoff_ms_ == 0 ? 100 : std::min(backoff_ms_ * 2, 10000);
  std::unique_lock<std::mutex> lock(mu_);
  int ms = backoff_ms_;
  if (stopping_) ms = static_cast<int>(std::min<int64_t>(ms, (stop_deadline_us_ - NowUs()) / 1000));
  if (ms > 0) cv_.wait_for(lock, std::chrono::milliseconds(ms));
}

bool ClickHouseSink::EnsureTables() {
  // Every shard gets the local tables (and the Distributed ones, so that any of them can take
  // the inserts); the first server answering sets the column types.
  bool first = true;
  for (const ClickHouseServer& s : options_.servers) {
    absl::StatusOr<ClickHouseFeatures> features = ProbeClickHouse(s);
    if (!features.ok()) {
      XS_LOG_WARN("clickhouse: ", s.ToString(), ": ", features.status().message());
      return false;
    }
    if (first) features_ = *features;
    first = false;
    ClickHouseServer bootstrap = s;
    bootstrap.database = "default";  // the database may not exist yet
    if (!options_.cluster.empty()) {
      absl::StatusOr<std::string> n = ClickHouseQuery(
          bootstrap, absl::StrCat("SELECT count() FROM system.clusters WHERE cluster = '",
                                  options_.cluster, "'"));
      if (n.ok() && absl::StripAsciiWhitespace(*n) == "0") {
        XS_LOG_ERROR("clickhouse: ", s.ToString(), ": no cluster '", options_.cluster,
                     "' in the server's remote_servers");
        return false;
      }
    }
    for (const std::string& sql : ClickHouseDdl(options_, features_, s.database)) {
      absl::StatusOr<std::string> r = ClickHouseQuery(bootstrap, sql);
      if (!r.ok()) {
        XS_LOG_ERROR("clickhouse: ", s.ToString(), ": ", r.status().message());
        return false;
      }
    }
  }
  XS_LOG_INFO("clickhouse: tables ready on ", options_.servers.size(), " server(s), version ",
              features_.major, ".", features_.minor);
  return true;
}

bool ClickHouseSink::Insert(Batch& b) {
  size_t n = options_.servers.size();
  for (size_t i = 0; i < n; ++i) {
    const ClickHouseServer& s = options_.servers[(server_ + i) % n];
    // Over a cluster the insert returns once every shard holds its rows.
    absl::StatusOr<std::string> r = ClickHouseQuery(
        s, absl::StrCat("INSERT INTO ", s.database, ".", b.table, " FORMAT RowBinary"), b.data,
        options_.cluster.empty() ? "" : "insert_distributed_sync=1", 60000);
    if (r.ok()) {
      server_ = (server_ + i) % n;
      return true;
    }
    XS_LOG_WARN("clickhouse: insert of ", b.rows, " rows into ", b.table, ": ",
                r.status().message());
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.insert_failures;
    if (absl::IsInternal(r.status())) {
      // The server answered and refused: a missing table (a server reset) is made again; other
      // refusals count against the batch.
      absl::string_view msg = r.status().message();
      if (HasErrorCode(msg, 60) || HasErrorCode(msg, 81)) {  // UNKNOWN_TABLE, UNKNOWN_DATABASE
        tables_ready_ = false;
      } else {
        ++b.failures;
      }
      return false;
    }
    // Without an answer a cluster's next shard may take it; a single server is retried.
    if (options_.cluster.empty()) return false;
  }
  server_ = (server_ + 1) % n;
  return false;
}

void ClickHouseSink::DropOldPartitions() {
  // Servers without table TTL (before 19.6): the day partitions older than ttl_days go.
  time_t cutoff = time(nullptr) - time_t{options_.ttl_days} * 86400;
  tm t{};
  gmtime_r(&cutoff, &t);
  uint32_t oldest =
      static_cast<uint32_t>((t.tm_year + 1900) * 10000 + (t.tm_mon + 1) * 100 + t.tm_mday);
  for (const ClickHouseServer& s : options_.servers) {
    std::string suffix = options_.cluster.empty() ? "" : "_local";
    absl::StatusOr<std::string> parts = ClickHouseQuery(
        s, absl::StrCat("SELECT DISTINCT table, partition FROM system.parts WHERE database = '",
                        s.database, "' AND active FORMAT TSV"));
    if (!parts.ok()) return;
    for (absl::string_view line : absl::StrSplit(*parts, '\n', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> tp = absl::StrSplit(line, '\t');
      uint32_t day = 0;
      if (!absl::EndsWith(tp.first, suffix) || !absl::SimpleAtoi(tp.second, &day) ||
          day >= oldest) {
        continue;
      }
      absl::StatusOr<std::string> r = ClickHouseQuery(
          s, absl::StrCat("ALTER TABLE ", s.database, ".", tp.first, " DROP PARTITION ", day));
      if (r.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        ++stats_.partitions_dropped;
        XS_LOG_INFO("clickhouse: ", s.ToString(), ": dropped ", tp.first, " partition ", day,
                    " (older than ", options_.ttl_days, " days)");
      }
    }
  }
}

void ClickHouseSink::Run() {
  while (true) {
    // Servers without table TTL: the old partitions go at start and hourly, records or not.
    if (options_.ttl_days > 0 && !features_.ttl && NowUs() >= next_ttl_us_) {
      if (!tables_ready_) tables_ready_ = EnsureTables();
      next_ttl_us_ = NowUs() + (tables_ready_ ? 3'600'000'000 : 10'000'000);
      if (tables_ready_ && !features_.ttl) DropOldPartitions();
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(std::max(options_.flush_ms / 4, 10)),
                   [this] { return stopping_ || !ready_.empty(); });
      int64_t now = NowUs();
      for (auto it = open_.begin(); it != open_.end();) {
        auto next = std::next(it);
        if (now - it->second.started_us >= int64_t{options_.flush_ms} * 1000) {
          SealLocked(it->first);
        }
        it = next;
      }
      if (ready_.empty()) {
        if (stopping_) return;
        continue;
      }
      if (stopping_ && now > stop_deadline_us_) return;
    }
    if (!tables_ready_) {
      tables_ready_ = EnsureTables();
      if (!tables_ready_) {
        Backoff();
        continue;
      }
    }
    Batch* b;
    {
      std::lock_guard<std::mutex> lock(mu_);
      b = &ready_.front();  // only this thread pops; Add() appends (deque keeps references)
    }
    if (Insert(*b)) {
      backoff_ms_ = 0;
      std::lock_guard<std::mutex> lock(mu_);
      stats_.rows_inserted += b->rows;
      ++stats_.batches_inserted;
      stats_.queued_bytes -= b->data.size();
      ready_.pop_front();
      continue;
    }
    if (b->failures >= options_.max_batch_failures) {
      std::lock_guard<std::mutex> lock(mu_);
      XS_LOG_ERROR("clickhouse: ", b->table, ": the server refused a batch of ", b->rows, " rows ",
                   b->failures, " times; it is dropped");
      stats_.rows_dropped_refused += b->rows;
      stats_.queued_bytes -= b->data.size();
      ready_.pop_front();
      continue;
    }
    Backoff();
  }
}

}  // namespace xsensor
