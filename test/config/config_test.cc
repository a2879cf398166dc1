#include "config/config.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "absl/strings/match.h"

namespace xsensor {
namespace {

TEST(ConfigTest, DefaultsAreValidAndDocumented) {
  Config c = DefaultConfig();
  for (const auto& k : ConfigKeys()) {
    Config tmp;
    EXPECT_TRUE(ApplyConfigKey(&tmp, k.key, k.default_value).ok()) << k.key;
    EXPECT_FALSE(k.help.empty()) << k.key;
  }
  EXPECT_EQ(c.ipfix_udp_template_timer, 20u);
  EXPECT_EQ(c.ajb_dns_fsize, 100u << 20);
  EXPECT_EQ(c.ajb_save_dns_format.size(), 14u);
  EXPECT_FALSE(c.http_parse_reply);
}

// Each key's range comes from the one table: the flag's help says it, and the parser holds it.
TEST(ConfigTest, FlagHelpSaysWhatTheKeyAccepts) {
  EXPECT_EQ(ConfigFlagHelp("netflow_timeout"),
            "Export cycle period in seconds (config key; an integer in [1, 3600]; default '30')");
  Config c = DefaultConfig();
  EXPECT_TRUE(ApplyConfigKey(&c, "netflow_timeout", "3600").ok());
  EXPECT_FALSE(ApplyConfigKey(&c, "netflow_timeout", "3601").ok());
  EXPECT_TRUE(absl::StrContains(ConfigFlagHelp("capture_mode"), "mirror, inline"));
  EXPECT_FALSE(ApplyConfigKey(&c, "capture_mode", "tap").ok());
  // Passive by default: the sensor never sits in a path unless told to.
  EXPECT_TRUE(c.capture_mirror());
  ASSERT_TRUE(ApplyConfigKey(&c, "capture_mode", "inline").ok());
  EXPECT_FALSE(c.capture_mirror());
  for (const auto& k : ConfigKeys()) EXPECT_FALSE(k.accepts.empty()) << k.key;
}

TEST(ConfigTest, ParsesEveryKindOfValue) {
  Config c = DefaultConfig();
  std::vector<std::string> warnings;
  const char* text =
      "# a comment\n"
      "ipfix_udp_collectors=1.2.3.4:1500, 1.2.3.5:1501\n"
      "ipfix_tcp_collectors = [::1]:4739   # trailing comment\n"
      "ipfix_dns_udp_collectors=[2001:db8::1]:2055\n"
      "http_parse_reply=1\n"
      "ssl_parse_reply=on\n"
      "dbg_log_mask=0x80\n"
      "ajb_dns_fsize=10M\n"
      "ajb_dns_bufsize=64K\n"
      "ajb_save_dns_format=ts:host:rdata\n"
      "in_dev=eth0,eth1\n"
      "\n";
  ASSERT_TRUE(ParseConfigText("x.conf", text, &c, &warnings).ok());
  ASSERT_EQ(c.ipfix_udp_collectors.size(), 2u);
  EXPECT_EQ(c.ipfix_udp_collectors[1].ToString(), "1.2.3.5:1501");
  ASSERT_EQ(c.ipfix_tcp_collectors.size(), 1u);
  EXPECT_EQ(c.ipfix_tcp_collectors[0].family(), AF_INET6);
  EXPECT_EQ(c.ipfix_tcp_collectors[0].ToString(), "[::1]:4739");
  EXPECT_EQ(c.ipfix_dns_udp_collectors[0].ToString(), "[2001:db8::1]:2055");
  EXPECT_TRUE(c.http_parse_reply);
  EXPECT_TRUE(c.ssl_parse_reply);
  EXPECT_EQ(c.dbg_log_mask, 0x80u);
  EXPECT_EQ(c.ajb_dns_fsize, 10u << 20);
  EXPECT_EQ(c.ajb_dns_bufsize, 64u << 10);
  EXPECT_EQ(c.ajb_save_dns_format, (std::vector<std::string>{"ts", "host", "rdata"}));
  EXPECT_EQ(c.in_dev, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_TRUE(warnings.empty());
}

// Collectors by host name (#34): resolved at start through the system's resolver (here the
// name /etc/hosts gives every machine); a name that does not resolve is refused by key.
TEST(ConfigTest, CollectorsByHostName) {
  Config c = DefaultConfig();
  ASSERT_TRUE(ParseConfigText("x.conf", "ipfix_tcp_collectors=localhost:4739, 192.0.2.1:1500\n", &c,
                              nullptr)
                  .ok());
  ASSERT_EQ(c.ipfix_tcp_collectors.size(), 2u);
  const std::string local = c.ipfix_tcp_collectors[0].ToString();
  EXPECT_TRUE(local == "127.0.0.1:4739" || local == "[::1]:4739") << local;
  EXPECT_EQ(c.ipfix_tcp_collectors[1].ToString(), "192.0.2.1:1500");
  absl::Status bad =
      ParseConfigText("x.conf", "ipfix_udp_collectors=no-such-host.invalid:4739\n", &c, nullptr);
  EXPECT_NE(bad.message().find("x.conf:1: key 'ipfix_udp_collectors': 'no-such-host.invalid:4739': "
                               "cannot resolve 'no-such-host.invalid'"),
            std::string::npos)
      << bad.message();
  EXPECT_FALSE(ParseConfigText("x.conf", "ipfix_udp_collectors=bad_host:1\n", &c, nullptr).ok());
}

// A misspelt or unknown key, a key given twice: refused with file, line and key (#34), not a
// warning under which the default silently stays.
TEST(ConfigTest, UnknownAndRepeatedKeysAreRefused) {
  auto error = [](const std::string& text) {
    Config c = DefaultConfig();
    return std::string(ParseConfigText("x.conf", text, &c, nullptr).message());
  };
  EXPECT_EQ(error("netflow_timeout=5\nipfix_udp_colectors = 127.0.0.1:4739\n"),
            "x.conf:2: unknown key 'ipfix_udp_colectors' (did you mean 'ipfix_udp_collectors'?)");
  EXPECT_EQ(error("HTTP_PARSE_REPLY = 1\n"),
            "x.conf:1: unknown key 'HTTP_PARSE_REPLY' (did you mean 'http_parse_reply'?)");
  EXPECT_EQ(error("vendor_extension = 3\n"), "x.conf:1: unknown key 'vendor_extension'");
  EXPECT_EQ(error("netflow_timeout=5\n# later\nnetflow_timeout = 10\n"),
            "x.conf:3: key 'netflow_timeout' given twice (first at x.conf:1)");
  EXPECT_EQ(ClosestConfigKey("ssl_parse_replies"), "ssl_parse_reply");
  EXPECT_EQ(ClosestConfigKey("flowmax"), "flow_max");
  EXPECT_EQ(ClosestConfigKey("zz"), "");
}

// `parsers` in a port list stands for the parsers' own ports (resolved by the sensor); ports
// listed beside it add to them, ports alone replace them.
TEST(ConfigTest, SteerPortListsTakeTheParsersKeyword) {
  Config c = DefaultConfig();
  EXPECT_TRUE(c.steer_tcp_ports.parsers);
  EXPECT_TRUE(c.steer_udp_ports.parsers);
  EXPECT_TRUE(c.steer_tcp_ports.ports.empty());
  ASSERT_TRUE(ApplyConfigKey(&c, "steer_tcp_ports", "parsers, 8081,9000").ok());
  EXPECT_TRUE(c.steer_tcp_ports.parsers);
  EXPECT_EQ(c.steer_tcp_ports.ports, (std::vector<uint16_t>{8081, 9000}));
  ASSERT_TRUE(ApplyConfigKey(&c, "steer_tcp_ports", "8081").ok());
  EXPECT_FALSE(c.steer_tcp_ports.parsers);
  EXPECT_EQ(c.steer_tcp_ports.ports, (std::vector<uint16_t>{8081}));
  ASSERT_TRUE(ApplyConfigKey(&c, "steer_udp_ports", "").ok());
  EXPECT_FALSE(c.steer_udp_ports.parsers);
  EXPECT_TRUE(c.steer_udp_ports.ports.empty());
  EXPECT_FALSE(ApplyConfigKey(&c, "steer_udp_ports", "parser").ok());
  EXPECT_FALSE(ApplyConfigKey(&c, "steer_udp_ports", "parsers,70000").ok());
}

TEST(ConfigTest, BadValuesNameFileLineKeyAndReason) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"\nipfix_mtu_limit=12\n", "s.conf:2: key 'ipfix_mtu_limit': 12 is out of range"},
      {"ipfix_udp_collectors=1.2.3.4\n", "s.conf:1: key 'ipfix_udp_collectors': '1.2.3.4'"},
      {"ipfix_tcp_collectors=[::1:4739\n", "expected [IPv6]:port"},
      {"ipfix_udp_collectors=1.2.3.4:99999\n", "bad port '99999'"},
      {"ipfix_udp_collectors=bad_host:4739\n", "bad address 'bad_host'"},
      {"http_parse_reply=maybe\n", "s.conf:1: key 'http_parse_reply': 'maybe' is not 0/1/on/off"},
      {"ajb_dns_fsize=lots\n", "key 'ajb_dns_fsize': 'lots' is not a size"},
      {"ajb_save_dns_format=ts:bogus\n", "unknown field 'bogus'"},
      {"netflow_timeout\n", "s.conf:1: expected key=value"},
      {"\n\nxsk_ring_size=3000\n", "s.conf:3: key 'xsk_ring_size': 3000 is not a power of two"},
      {"xsk_ring_size=65536\n", "key 'xsk_ring_size': 65536 is out of range [512, 32768]"},
      {"flow_affinity=rss\n", "key 'flow_affinity'"},
      {"subscriber_nets=10.0.0.0/8, 300.1.2.3/24\n",
       "key 'subscriber_nets': '300.1.2.3/24' is not ADDRESS[/PREFIX]"},
      {"subscriber_nets=2001:db8::/129\n", "key 'subscriber_nets': '2001:db8::/129'"},
      {"radius_acct_listen=1813\n", "key 'radius_acct_listen'"},
      {"radius_login_attribute=nas-ip\n", "key 'radius_login_attribute': 'nas-ip' is not"},
  };
  for (const auto& c : cases) {
    Config cfg = DefaultConfig();
    absl::Status s = ParseConfigText("s.conf", c.text, &cfg, nullptr);
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_TRUE(absl::StrContains(s.message(), c.expect)) << s.message();
  }
}

TEST(ConfigTest, MissingFileIsAClearError) {
  auto c = LoadConfig("/nonexistent/xsensor.conf", nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "/nonexistent/xsensor.conf"));
}

}  // namespace
}  // namespace xsensor
