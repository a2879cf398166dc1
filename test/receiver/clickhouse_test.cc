// The parts of the ClickHouse sink that need no server: URLs, the features by version, the DDL
// and the RowBinary rows. The e2e tests (e2e/clickhouse_test.sh) run it against real servers.
#include "receiver/clickhouse.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "schema/schema.h"
#include "xsensor/records.pb.h"

namespace xsensor {
namespace {

// The password travels in a header (X-ClickHouse-Key), never in the request's URL, which
// servers and proxies log (#32): what a listener standing in for the server receives.
TEST(ClickHouseQueryTest, CredentialsInHeadersNotInTheUrl) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&sin), len), 0);
  ASSERT_EQ(listen(l, 1), 0);
  getsockname(l, reinterpret_cast<sockaddr*>(&sin), &len);
  std::string request;
  std::thread server([&] {
    int c = accept(l, nullptr, nullptr);
    char buf[4096];
    ssize_t n;
    while ((n = read(c, buf, sizeof(buf))) > 0) {
      request.append(buf, static_cast<size_t>(n));
      if (request.find("SELECT 1") != std::string::npos) break;
    }
    const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n1\n";
    (void)!write(c, reply, sizeof(reply) - 1);
    close(c);
  });
  auto s = ParseClickHouseUrl(
      "http://writer:s3cret@127.0.0.1:" + std::to_string(ntohs(sin.sin_port)) + "/clicks");
  ASSERT_TRUE(s.ok());
  auto r = ClickHouseQuery(*s, "SELECT 1", "", "", 3000);
  server.join();
  close(l);
  EXPECT_TRUE(r.ok()) << r.status();
  const std::string line = request.substr(0, request.find("\r\n"));
  EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
  EXPECT_EQ(line.find("password"), std::string::npos) << line;
  EXPECT_NE(request.find("\r\nX-ClickHouse-User: writer\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("\r\nX-ClickHouse-Key: s3cret\r\n"), std::string::npos) << request;
}

TEST(ClickHouseUrl, TakesCredentialsPortAndDatabase) {
  auto s = ParseClickHouseUrl("http://writer:p%40ss@db.example:8124/clicks");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->host, "db.example");
  EXPECT_EQ(s->port, 8124);
  EXPECT_EQ(s->user, "writer");
  EXPECT_EQ(s->password, "p@ss");
  EXPECT_EQ(s->database, "clicks");
  EXPECT_EQ(s->ToString(), "http://writer@db.example:8124/clicks");  // no password

  s = ParseClickHouseUrl("http://[::1]?user=u&password=x&database=d");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->host, "::1");
  EXPECT_EQ(s->port, 8123);
  EXPECT_EQ(s->user, "u");
  EXPECT_EQ(s->database, "d");

  s = ParseClickHouseUrl("http://127.0.0.1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->database, "xsensor");
}

TEST(ClickHouseUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"127.0.0.1:8123", "https://h/", "http://h:0/", "http://h:99999/",
                          "http:///db", "http://h/db;drop", "http://h/?color=red"}) {
    EXPECT_FALSE(ParseClickHouseUrl(bad).ok()) << bad;
  }
}

TEST(ClickHouseFeatures, FollowTheServerVersion) {
  ClickHouseFeatures old = ClickHouseFeatures::ForVersion("18.16.1\n");
  EXPECT_FALSE(old.ip_types);
  EXPECT_FALSE(old.ttl);
  ClickHouseFeatures mid = ClickHouseFeatures::ForVersion("19.3.4");
  EXPECT_TRUE(mid.ip_types);
  EXPECT_FALSE(mid.ttl);
  ClickHouseFeatures recent = ClickHouseFeatures::ForVersion("23.8.2.7");
  EXPECT_TRUE(recent.ip_types);
  EXPECT_TRUE(recent.ttl);
}

std::string Find(const std::vector<std::string>& ddl, absl::string_view table) {
  for (const std::string& s : ddl) {
    if (absl::StrContains(s, absl::StrCat("EXISTS ", table, "\n"))) return s;
  }
  return "";
}

TEST(ClickHouseDdl, OneTypedTablePerRecordType) {
  ClickHouseOptions o;
  o.ttl_days = 30;
  auto ddl = ClickHouseDdl(o, ClickHouseFeatures::ForVersion("18.16.1"), "xs");
  EXPECT_EQ(ddl[0], "CREATE DATABASE IF NOT EXISTS xs");
  EXPECT_EQ(ddl.size(), 1 + Schema::Get().Messages().size());
  std::string click = Find(ddl, "xs.clickstream");
  EXPECT_TRUE(absl::StrContains(click, "time_stamp DateTime,")) << click;
  EXPECT_TRUE(absl::StrContains(click, "ip_source FixedString(16),"));
  EXPECT_TRUE(absl::StrContains(click, "session_id UInt64,"));
  EXPECT_TRUE(absl::StrContains(click, "method UInt8,"));
  EXPECT_TRUE(absl::StrContains(click, "port_source UInt16,"));
  EXPECT_TRUE(absl::StrContains(click, "source_mac UInt64,"));
  EXPECT_TRUE(absl::StrContains(click, "PARTITION BY toYYYYMMDD(time_stamp)"));
  EXPECT_TRUE(absl::StrContains(click, "ORDER BY (toStartOfHour(time_stamp), login, session_id"));
  EXPECT_FALSE(absl::StrContains(click, "TTL")) << "18.16 has no table TTL";

  ddl = ClickHouseDdl(o, ClickHouseFeatures::ForVersion("20.3.1"), "xs");
  click = Find(ddl, "xs.clickstream");
  EXPECT_TRUE(absl::StrContains(click, "ip_source IPv6,")) << click;
  EXPECT_TRUE(absl::StrContains(click, "TTL time_stamp + INTERVAL 30 DAY"));
}

TEST(ClickHouseDdl, ClusterTablesAreDistributedBySession) {
  ClickHouseOptions o;
  o.cluster = "edge";
  auto ddl = ClickHouseDdl(o, ClickHouseFeatures{}, "xs");
  EXPECT_EQ(ddl.size(), 1 + 2 * Schema::Get().Messages().size());
  EXPECT_NE(Find(ddl, "xs.dns_local"), "");
  bool found = false;
  for (const std::string& s : ddl) {
    if (s ==
        "CREATE TABLE IF NOT EXISTS xs.dns AS xs.dns_local\nENGINE = Distributed(edge, xs, "
        "dns_local, intHash64(session_id))") {
      found = true;
    }
  }
  EXPECT_TRUE(found) << absl::StrJoin(ddl, "\n");
}

TEST(ClickHouseRowBinary, EncodesInColumnOrder) {
  schema::Dns dns;
  dns.set_time_stamp(0x01020304);
  dns.set_login("al");
  dns.set_ip_source(std::string("\x0a\x00\x00\x01", 4));
  dns.set_ip_destination(std::string("\x08\x08\x08\x08", 4));
  dns.set_port_source(0x1234);
  dns.set_port_destination(53);
  dns.set_session_id(7);
  dns.set_domain("a.b");
  dns.set_rrtype(1);
  dns.set_source_mac(std::string("\x00\x11\x22\x33\x44\x55", 6));
  ReceivedRecord r;
  r.exporter = "192.0.2.9:4739";
  r.record.domain_id = 5;
  r.record.spec = Schema::Get().Find(schema::Dns::descriptor(), false);
  r.record.message = std::make_unique<schema::Dns>(dns);
  std::string row;
  ASSERT_TRUE(AppendRowBinary(r, &row));
  std::string want;
  want += std::string("\x04\x03\x02\x01", 4);  // DateTime, little-endian
  want += std::string(
      "\x02"
      "al",
      3);  // String: varint length, bytes
  want += std::string(10, '\0') + "\xff\xff" + std::string("\x0a\x00\x00\x01", 4);  // mapped
  want += std::string(10, '\0') + "\xff\xff" + "\x08\x08\x08\x08";
  want += std::string("\x34\x12", 2);  // port_source UInt16
  want += std::string("\x35\x00", 2);
  want += std::string("\x07\0\0\0\0\0\0\0", 8);  // session_id
  EXPECT_EQ(row.substr(0, want.size()), want);
  // ... and at the end the exporter's address and the observation domain.
  EXPECT_EQ(row.substr(row.size() - 14), std::string("\x09"
                                                     "192.0.2.9\x05\0\0\0",
                                                     14));
  // Records of templates the schema lacks have no table.
  ReceivedRecord unknown;
  EXPECT_FALSE(AppendRowBinary(unknown, &row));
}

// With no server, rows wait in the bounded queue; past it they are dropped and counted, and
// what is still queued at Close is reported lost. Nothing blocks the caller.
TEST(ClickHouseSink, AFullQueueDropsAndCountsWithoutBlocking) {
  ClickHouseOptions o;
  ClickHouseServer nobody;
  nobody.host = "127.0.0.1";
  nobody.port = 1;  // nothing listens: connections are refused
  o.servers = {nobody};
  o.batch_rows = 4;
  o.flush_ms = 60000;
  ReceivedRecord r;
  r.exporter = "192.0.2.9:4739";
  r.record.spec = Schema::Get().Find(schema::Dns::descriptor(), false);
  r.record.message = std::make_unique<schema::Dns>();
  std::string row;
  ASSERT_TRUE(AppendRowBinary(r, &row));
  o.max_queue_bytes = 10 * row.size();
  ClickHouseSink sink(o);
  for (int i = 0; i < 25; ++i) sink.Add(r);
  ClickHouseStats st = sink.stats();
  EXPECT_EQ(st.rows_added, 25u);
  EXPECT_EQ(st.rows_dropped_overflow, 15u);
  EXPECT_EQ(st.queued_bytes, 10 * row.size());
  EXPECT_EQ(st.rows_inserted, 0u);
  EXPECT_FALSE(sink.Close(0));
  EXPECT_EQ(sink.stats().rows_dropped_overflow, 25u);  // the 10 queued are lost too
}

}  // namespace
}  // namespace xsensor
