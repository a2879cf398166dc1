// The RADIUS accounting listener over a real UDP socket: packets built here from RFC 2866 (the
// Request Authenticator computed with OpenSSL's MD5, not with the listener's code), answers
// checked byte by byte, logins found (and gone) through the table the workers read.
// The radclient interop test is the live case `radius` (test/live/live_test.sh).
#include "sensor/radius.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "common/unique_fd.h"

namespace xsensor {
namespace {

std::string Md5(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string Attr(uint8_t type, const std::string& v) {
  return std::string(1, static_cast<char>(type)) + static_cast<char>(v.size() + 2) + v;
}
std::string U32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// An Accounting-Request signed with `secret`.
std::string Request(uint8_t id, const std::string& attrs, const std::string& secret) {
  std::string head = {4, static_cast<char>(id), 0, static_cast<char>(20 + attrs.size())};
  std::string auth = Md5(head + std::string(16, '\0') + attrs + secret);
  return head + auth + attrs;
}

class RadiusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ep = ParseEndpoint("127.0.0.1:0", true);
    auto l = RadiusListener::Start(*ep, "s3cret", false);
    ASSERT_TRUE(l.ok()) << l.status();
    listener_ = std::move(*l);
    fd_ = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  // Sends `packet`; the answer, or empty after 500 ms.
  std::string Exchange(const std::string& packet) {
    const Endpoint& to = listener_->endpoint();
    sendto(fd_.get(), packet.data(), packet.size(), 0, to.sa(), to.len);
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, 500) <= 0) return "";
    char buf[512];
    ssize_t n = recv(fd_.get(), buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  std::string LoginOf(const char* addr) {
    uint8_t b[16];
    int len = inet_pton(AF_INET, addr, b) == 1 ? 4 : (inet_pton(AF_INET6, addr, b) == 1 ? 16 : 0);
    std::string login;
    return listener_->sessions()->Find(std::string(reinterpret_cast<char*>(b), len), &login)
               ? login
               : "(none)";
  }
  std::unique_ptr<RadiusListener> listener_;
  UniqueFd fd_;
};

TEST_F(RadiusTest, StartMapsTheFramedAddressUntilStop) {
  std::string attrs = Attr(40, U32(1)) + Attr(1, "alice") +
                      Attr(8, std::string("\xc0\x00\x02\x07", 4)) + Attr(31, "00-11-22-33-44-55");
  std::string req = Request(17, attrs, "s3cret");
  std::string answer = Exchange(req);
  // Accounting-Response: code 5, the request's id, length 20, and
  // MD5(code + id + length + Request Authenticator + secret).
  ASSERT_EQ(answer.size(), 20u);
  EXPECT_EQ(answer[0], 5);
  EXPECT_EQ(answer[1], 17);
  EXPECT_EQ(answer.substr(4), Md5(std::string{5, 17, 0, 20} + req.substr(4, 16) + "s3cret"));
  EXPECT_EQ(LoginOf("192.0.2.7"), "alice");
  EXPECT_EQ(LoginOf("192.0.2.8"), "(none)");
  EXPECT_EQ(listener_->stats().starts, 1u);
  EXPECT_EQ(listener_->stats().sessions, 1u);

  std::string stop =
      Attr(40, U32(2)) + Attr(1, "alice") + Attr(8, std::string("\xc0\x00\x02\x07", 4));
  ASSERT_EQ(Exchange(Request(18, stop, "s3cret")).size(), 20u);
  // Published within 100 ms of the last publication (the Start's).
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(LoginOf("192.0.2.7"), "(none)");
  EXPECT_EQ(listener_->stats().stops, 1u);
  EXPECT_EQ(listener_->stats().sessions, 0u);
}

TEST_F(RadiusTest, Ipv6PrefixesCoverTheirAddresses) {
  // Framed-IPv6-Prefix 2001:db8:1:2::/64 and Delegated-IPv6-Prefix 2001:db8:ff00::/40.
  std::string framed =
      std::string("\x00\x40", 2) + std::string("\x20\x01\x0d\xb8\x00\x01\x00\x02", 8);
  std::string delegated = std::string("\x00\x28", 2) + std::string("\x20\x01\x0d\xb8\xff", 5);
  std::string attrs = Attr(40, U32(3)) + Attr(1, "bob") + Attr(97, framed) + Attr(123, delegated);
  ASSERT_EQ(Exchange(Request(1, attrs, "s3cret")).size(), 20u);
  EXPECT_EQ(LoginOf("2001:db8:1:2::99"), "bob");
  EXPECT_EQ(LoginOf("2001:db8:ff12::1"), "bob");
  EXPECT_EQ(LoginOf("2001:db8:1:3::99"), "(none)");
  EXPECT_EQ(listener_->stats().interim_updates, 1u);
}

TEST_F(RadiusTest, AForgedOrBrokenRequestIsRefusedAndCounted) {
  std::string attrs =
      Attr(40, U32(1)) + Attr(1, "mallory") + Attr(8, std::string("\x0a\x00\x00\x01", 4));
  EXPECT_EQ(Exchange(Request(2, attrs, "wrong")), "");
  EXPECT_EQ(LoginOf("10.0.0.1"), "(none)");
  EXPECT_EQ(listener_->stats().bad_authenticator, 1u);
  // An attribute running past the packet; an Access-Request; a runt.
  std::string broken = attrs;
  broken[1] = 100;
  EXPECT_EQ(Exchange(Request(3, broken, "s3cret")), "");
  std::string access = Request(4, attrs, "s3cret");
  access[0] = 1;
  EXPECT_EQ(Exchange(access), "");
  EXPECT_EQ(Exchange("\x04\x01\x00"), "");
  EXPECT_EQ(listener_->stats().malformed, 3u);
  EXPECT_EQ(listener_->stats().bad_authenticator, 1u);
  EXPECT_EQ(listener_->stats().requests, 0u);
  // Still serving.
  EXPECT_EQ(Exchange(Request(5, attrs, "s3cret")).size(), 20u);
  EXPECT_EQ(LoginOf("10.0.0.1"), "mallory");
}

TEST_F(RadiusTest, AccountingOnEndsTheNasSessions) {
  for (int i = 1; i <= 3; ++i) {
    std::string ip = {10, 0, 0, static_cast<char>(i)};
    ASSERT_EQ(Exchange(Request(static_cast<uint8_t>(i),
                               Attr(40, U32(1)) + Attr(1, "u" + std::to_string(i)) + Attr(8, ip),
                               "s3cret"))
                  .size(),
              20u);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // published within 100 ms
  EXPECT_EQ(LoginOf("10.0.0.2"), "u2");
  ASSERT_EQ(Exchange(Request(9, Attr(40, U32(7)), "s3cret")).size(), 20u);
  // Published within 100 ms of the last publication.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(LoginOf("10.0.0.2"), "(none)");
  EXPECT_EQ(listener_->stats().sessions, 0u);
}

// A recorded request does not change the table again: a byte-identical Start replayed after
// its Stop is answered (the NAS expects it) and ignored; a Start or Stop of an older session
// (Acct-Session-Id, Event-Timestamp) leaves the address with its current user.
TEST_F(RadiusTest, ReplayedOrStaleRequestsLeaveTheCurrentSessionAlone) {
  const std::string ip = Attr(8, std::string("\x0a\x00\x00\x07", 4));
  auto acct = [&](uint32_t status, const std::string& user, const std::string& session,
                  uint32_t when) {
    return Attr(40, U32(status)) + Attr(1, user) + ip + Attr(44, session) + Attr(55, U32(when));
  };
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(250)); };
  // Alice's session: Start then Stop; the Start replayed byte for byte afterwards.
  const std::string alice_start = Request(30, acct(1, "alice", "S-A", 1700000000), "s3cret");
  ASSERT_EQ(Exchange(alice_start).size(), 20u);
  settle();
  EXPECT_EQ(LoginOf("10.0.0.7"), "alice");
  ASSERT_EQ(Exchange(Request(31, acct(2, "alice", "S-A", 1700000600), "s3cret")).size(), 20u);
  settle();
  EXPECT_EQ(LoginOf("10.0.0.7"), "(none)");
  EXPECT_EQ(Exchange(alice_start).size(), 20u) << "answered";
  settle();
  EXPECT_EQ(LoginOf("10.0.0.7"), "(none)") << "a replayed Start maps nothing back";
  EXPECT_EQ(listener_->stats().duplicates, 1u);
  // Bob has the address now; an older Start of Carol's (delayed, or replayed with another
  // identifier) and the late Stop of Alice's session change nothing.
  ASSERT_EQ(Exchange(Request(32, acct(1, "bob", "S-B", 1700001000), "s3cret")).size(), 20u);
  ASSERT_EQ(Exchange(Request(33, acct(1, "carol", "S-C", 1700000800), "s3cret")).size(), 20u);
  ASSERT_EQ(Exchange(Request(34, acct(2, "alice", "S-A", 1700000900), "s3cret")).size(), 20u);
  settle();
  EXPECT_EQ(LoginOf("10.0.0.7"), "bob");
  EXPECT_EQ(listener_->stats().stale, 2u);
  // Bob's own Interim and Stop do apply.
  ASSERT_EQ(Exchange(Request(35, acct(3, "bob", "S-B", 1700001300), "s3cret")).size(), 20u);
  ASSERT_EQ(Exchange(Request(36, acct(2, "bob", "S-B", 1700001600), "s3cret")).size(), 20u);
  settle();
  EXPECT_EQ(LoginOf("10.0.0.7"), "(none)");
}

TEST(RadiusCapTest, TheSessionTableIsBoundedAndCounted) {
  auto ep = ParseEndpoint("127.0.0.1:0", true);
  auto l = RadiusListener::Open(*ep, "s3cret", false);
  ASSERT_TRUE(l.ok()) << l.status();
  (*l)->set_max_sessions(2);
  for (int i = 1; i <= 3; ++i) {
    std::string ip = {10, 0, 1, static_cast<char>(i)};
    std::string req =
        Request(static_cast<uint8_t>(i),
                Attr(40, U32(1)) + Attr(1, "u" + std::to_string(i)) + Attr(8, ip), "s3cret");
    EXPECT_EQ((*l)->Handle(req, "192.0.2.1").size(), 20u) << "answered all the same";
  }
  EXPECT_EQ((*l)->stats().table_full, 1u);
}

}  // namespace
}  // namespace xsensor
