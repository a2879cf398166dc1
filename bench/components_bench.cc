// Per-component costs on the packet path: L2-L4 decoding, HTTP request parsing, IPFIX record
// encoding.
#include <benchmark/benchmark.h>

#include "ipfix/ipfix.h"
#include "packet/packet.h"
#include "parsers/http/http_parser.h"
#include "testing/packet_builder.h"

namespace xsensor {
namespace {

const std::string kRequest =
    "GET /images/template/screen/bullet_utility.png HTTP/1.1\r\nHost: www.mozilla.org\r\n"
    "User-Agent: Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Gecko/20091102 "
    "Firefox/3.5.5\r\nAccept: image/png,image/*;q=0.8,*/*;q=0.5\r\nAccept-Language: en-us\r\n"
    "Accept-Encoding: gzip,deflate\r\nKeep-Alive: 300\r\nConnection: keep-alive\r\n"
    "Referer: http://www.mozilla.org/style/screen.css\r\nCookie: __utma=150903082.601193709."
    "1258578040.1258578040.1258578040.1; __utmb=150903082\r\n\r\n";

void BM_DecodeVlanMplsTcp(benchmark::State& state) {
  std::string f = testing::PacketBuilder().Eth().Vlan(10).Mpls(29).Ipv4("10.0.0.1", "10.0.0.2")
                      .Tcp(1234, 80, 1).Payload(kRequest).Build();
  PacketView p;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodePacket(
        LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(), f.size(), &p));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeVlanMplsTcp);

class NullSink : public RecordSink {
 public:
  void Emit(const google::protobuf::Message&) override {}
};

void BM_HttpRequestParse(benchmark::State& state) {
  std::string f = testing::PacketBuilder().Eth().Ipv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80, 1)
                      .Build();
  PacketView p;
  DecodePacket(LinkType::kEthernet, reinterpret_cast<const uint8_t*>(f.data()), f.size(),
               f.size(), &p);
  Flow flow;
  NullSink sink;
  RecordBuilder records(&sink);
  ParserCounters counters;
  ParserOptions options;
  HttpParser parser(options);
  ParseContext ctx{RecordOrigin{&p, &flow, 0, 0}, Dir::kToServer, &records, &counters, &options};
  for (auto _ : state) parser.OnData(ctx, kRequest, 1);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpRequestParse);

void BM_EncodeClickstreamRecord(benchmark::State& state) {
  const TemplateSpec* t = Schema::Get().Find(schema::Clickstream::descriptor(), false);
  schema::Clickstream r;
  r.set_ip_source(std::string(4, '\1'));
  r.set_ip_destination(std::string(4, '\2'));
  r.set_hostname("www.mozilla.org");
  r.set_path("/images/template/screen/bullet_utility.png");
  r.set_user_agent("Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.1.5) Firefox/3.5.5");
  r.set_cookie(std::string(120, 'c'));
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeDataRecord(*t, r, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeClickstreamRecord);

}  // namespace
}  // namespace xsensor

BENCHMARK_MAIN();
