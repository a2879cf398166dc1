// The metrics exposition builder, the HTTP endpoint over a real loopback socket, and the
// --stats table.
#include "sensor/metrics.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <ctime>
#include <thread>

#include "common/time_util.h"
#include "common/unique_fd.h"

namespace xsensor {
namespace {

TEST(PromTextTest, SamplesOfAMetricStayTogetherUnderOneHelpAndType) {
  PromText m;
  m.Counter("xs_a_total", "A.", {{"q", "0"}}, 1);
  m.Gauge("xs_b", "B.", {}, 7);
  m.Counter("xs_a_total", "A.", {{"q", "1"}}, 2);
  EXPECT_EQ(m.Render(),
            "# HELP xs_a_total A.\n# TYPE xs_a_total counter\n"
            "xs_a_total{q=\"0\"} 1\nxs_a_total{q=\"1\"} 2\n"
            "# HELP xs_b B.\n# TYPE xs_b gauge\nxs_b 7\n");
}

TEST(PromTextTest, LabelValuesAreEscaped) {
  PromText m;
  m.Counter("xs_total", "x", {{"path", "a\"b\\c\nd"}}, 3);
  EXPECT_NE(m.Render().find("xs_total{path=\"a\\\"b\\\\c\\nd\"} 3\n"), std::string::npos)
      << m.Render();
}

TEST(MetricsTableTest, AlignsSamplesAndLeavesCommentsOut) {
  auto t = MetricsTable("# HELP a x\n# TYPE a counter\na 1\nlonger{x=\"y\"} 22\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, "a              1\nlonger{x=\"y\"}  22\n");
}

TEST(MetricsTableTest, AMalformedLineIsAnErrorNamingIt) {
  auto t = MetricsTable("a 1\nb notanumber\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 2"), absl::string_view::npos) << t.status();
}

TEST(MetricsServerTest, ServesMetricsAndAnswers404Elsewhere) {
  auto server = MetricsServer::Create(*ParseEndpoint("127.0.0.1:0", true));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_NE((*server)->endpoint().ToString(), "127.0.0.1:0");
  std::atomic<bool> stop{false};
  int renders = 0;
  std::thread poller([&] {
    while (!stop.load()) {
      (*server)->Poll(MonotonicMicros(), [&] {
        ++renders;
        return std::string("xs_up 1\n");
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto got = FetchMetrics((*server)->endpoint(), 2000);
  auto again = FetchMetrics((*server)->endpoint(), 2000);
  // Other paths, by hand: the live page at /, a 404 naming where things are, no rendering.
  auto get = [&](const char* path) {
    std::string answer;
    const Endpoint& ep = (*server)->endpoint();
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(fd.get(), ep.sa(), ep.len) != 0) return answer;
    std::string req = std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (send(fd.get(), req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
      return answer;
    }
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd.get(), buf, sizeof(buf), 0)) > 0) answer.append(buf, n);
    return answer;
  };
  std::string other = get("/other");
  std::string page = get("/");
  stop.store(true);
  poller.join();
  EXPECT_EQ(other.rfind("HTTP/1.1 404", 0), 0u) << other;
  EXPECT_NE(other.find("/metrics"), std::string::npos) << other;
  EXPECT_EQ(page.rfind("HTTP/1.1 200", 0), 0u) << page.substr(0, 200);
  EXPECT_NE(page.find("Content-Type: text/html"), std::string::npos) << page.substr(0, 200);
  // The whole page, embedded: it ends its document and reads /metrics relative to itself.
  EXPECT_NE(page.find("fetch(\"metrics\""), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos) << "the page needs no external network";
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "xs_up 1\n");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(renders, 2);
  EXPECT_EQ((*server)->requests(), 4u);  // two /metrics, one 404, the page
}

TEST(ProcessMetricsTest, BuildInfoAndTheStandardProcessMetrics) {
  PromText m;
  ProcessMetrics(&m);
  const std::string text = m.Render();
  EXPECT_NE(text.find("xsensor_build_info{version=\""), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << text;
  for (const char* name :
       {"process_resident_memory_bytes ", "process_virtual_memory_bytes ",
        "process_start_time_seconds ", "process_open_fds ", "process_max_fds "}) {
    size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << " in\n" << text;
    double v = std::stod(text.substr(at + 1 + strlen(name)));
    EXPECT_GT(v, 0) << name;
  }
  // The start time is now, give or take the test's run; seconds with a fraction.
  size_t at = text.find("\nprocess_start_time_seconds ");
  double start = std::stod(text.substr(at + 28));
  EXPECT_NEAR(start, static_cast<double>(time(nullptr)), 600);
}

TEST(PromTextTest, SecondsKeepMilliseconds) {
  PromText m;
  m.CounterSeconds("xs_seconds_total", "S.", 1.25);
  EXPECT_NE(m.Render().find("\nxs_seconds_total 1.250\n"), std::string::npos) << m.Render();
}

TEST(MetricsServerTest, APortInUseIsAClearError) {
  auto first = MetricsServer::Create(*ParseEndpoint("127.0.0.1:0", true));
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Create((*first)->endpoint());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("metrics_listen"), absl::string_view::npos)
      << second.status();
}

TEST(FetchMetricsTest, NoSensorIsAClearError) {
  auto probe = MetricsServer::Create(*ParseEndpoint("127.0.0.1:0", true));
  ASSERT_TRUE(probe.ok());
  Endpoint gone = (*probe)->endpoint();
  probe->reset();
  auto got = FetchMetrics(gone, 500);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find("no sensor metrics at"), absl::string_view::npos);
}

}  // namespace
}  // namespace xsensor
