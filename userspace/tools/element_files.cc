// Build-time generator: the enterprise elements of the record schema (records.proto, with
// elements.textproto) as the files other collectors load, so that they show every field by name:
//   xsensor-elements.xml  libfixbuf / super_mediator / ipfixDump --element-file (IANA registry XML)
//   xsensor-libfds.xml    ipfixcol2 / libfds (its system/elements folder)
//   xsensor.lua           a Wireshark plugin (tshark -X lua_script:xsensor.lua)
//   xsensor-element-files OUT_DIR
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "schema/schema.h"

namespace {

using xsensor::ElementInfo;

std::string Xml(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

std::string Lua(const std::string& s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::string FixbufXml(const std::vector<ElementInfo>& elements) {
  std::string s =
      "<?xml version='1.0' encoding='UTF-8'?>\n"
      "<!-- Generated at build time from proto/xsensor/records.proto and elements.textproto. -->\n"
      "<registry id=\"xsensor_ipfix\" xmlns=\"http://www.iana.org/assignments\"\n"
      "          xmlns:cert=\"http://www.cert.org/ipfix\">\n"
      "  <title>xsensor IPFIX elements (PEN 43823)</title>\n"
      "  <registry id=\"xsensor-information-elements\">\n"
      "    <title>xsensor Enterprise IPFIX Elements (PEN 43823)</title>\n";
  for (const ElementInfo& e : elements) {
    absl::StrAppend(&s, "    <record>\n      <name>", e.name, "</name>\n      <dataType>",
                    xsensor::IpfixTypeName(e.type), "</dataType>\n");
    if (e.semantics != xsensor::schema::SEMANTICS_DEFAULT) {
      absl::StrAppend(&s, "      <dataTypeSemantics>", xsensor::SemanticsName(e.semantics),
                      "</dataTypeSemantics>\n");
    }
    if (e.units != xsensor::schema::UNITS_NONE) {
      absl::StrAppend(&s, "      <units>", xsensor::UnitsName(e.units), "</units>\n");
    }
    absl::StrAppend(&s, "      <cert:enterpriseId>", e.pen,
                    "</cert:enterpriseId>\n      <elementId>", e.id,
                    "</elementId>\n      <description><paragraph>", Xml(e.description),
                    "</paragraph></description>\n      <status>current</status>\n    </record>\n");
  }
  s += "  </registry>\n</registry>\n";
  return s;
}

std::string LibfdsXml(const std::vector<ElementInfo>& elements) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<!-- Generated at build time from proto/xsensor/records.proto and elements.textproto. -->\n"
      "<ipfix-elements>\n    <scope>\n        <pen>43823</pen>\n        <name>xsensor</name>\n"
      "        <biflow mode=\"none\"></biflow>\n    </scope>\n";
  for (const ElementInfo& e : elements) {
    absl::StrAppend(&s, "    <element>\n        <id>", e.id, "</id>\n        <name>", e.name,
                    "</name>\n        <dataType>", xsensor::IpfixTypeName(e.type),
                    "</dataType>\n        <dataSemantics>", xsensor::SemanticsName(e.semantics),
                    "</dataSemantics>\n");
    if (e.units != xsensor::schema::UNITS_NONE) {
      absl::StrAppend(&s, "        <dataUnit>", xsensor::UnitsName(e.units), "</dataUnit>\n");
    }
    absl::StrAppend(&s, "        <status>current</status>\n    </element>\n");
  }
  s += "</ipfix-elements>\n";
  return s;
}

// The plugin keeps Wireshark's own IPFIX dissection (cflow) and adds an "xsensor" tree per data
// record with every enterprise field by name: xsensor.hostname, xsensor.ip_source, ... It reads
// the templates of each transport session itself (cflow does not expose enterprise fields by
// name), and frames IPFIX over TCP by the message length.
const char kLuaBody[] = R"lua(
local PEN = 43823
local xs = Proto("xsensor", "xsensor IPFIX records")
local xs_tcp = Proto("xsensor_tcp", "xsensor IPFIX records over TCP")
local f_template = ProtoField.uint16("xsensor.template_id", "Template id", base.DEC)
local fields = { f_template }
local by_id = {}
local makers = {
  unsigned8 = function(a, n, d) return ProtoField.uint8(a, n, base.DEC, nil, nil, d) end,
  unsigned16 = function(a, n, d) return ProtoField.uint16(a, n, base.DEC, nil, nil, d) end,
  unsigned32 = function(a, n, d) return ProtoField.uint32(a, n, base.DEC, nil, nil, d) end,
  unsigned64 = function(a, n, d) return ProtoField.uint64(a, n, base.DEC, nil, nil, d) end,
  string = function(a, n, d) return ProtoField.string(a, n, base.UNICODE, d) end,
  octetArray = function(a, n, d) return ProtoField.bytes(a, n, base.NONE, d) end,
  ipv4Address = function(a, n, d) return ProtoField.ipv4(a, n, d) end,
  ipv6Address = function(a, n, d) return ProtoField.ipv6(a, n, d) end,
  macAddress = function(a, n, d) return ProtoField.ether(a, n, d) end,
}
for id, e in pairs(elements) do
  local f = makers[e[2]]("xsensor." .. string.lower(e[1]), e[1], e[3])
  by_id[id] = { field = f, type = e[2] }
  fields[#fields + 1] = f
end
xs.fields = fields

-- Templates per transport session and observation domain: key .. ":" .. template id.
local templates = {}
local function session_key(pinfo)
  return tostring(pinfo.src) .. "/" .. pinfo.src_port .. ">" .. tostring(pinfo.dst) .. "/" ..
         pinfo.dst_port
end

local function read_template_set(tvb, p, set_end, key, options)
  while p + 4 <= set_end do
    local tid = tvb(p, 2):uint()
    local count = tvb(p + 2, 2):uint()
    p = p + (options and 6 or 4)
    if count == 0 then
      templates[key .. ":" .. tid] = nil
    else
      local list = {}
      for _ = 1, count do
        if p + 4 > set_end then return end
        local id = tvb(p, 2):uint()
        local len = tvb(p + 2, 2):uint()
        p = p + 4
        local pen = 0
        if id >= 0x8000 then
          if p + 4 > set_end then return end
          id = id - 0x8000
          pen = tvb(p, 4):uint()
          p = p + 4
        end
        list[#list + 1] = { id = id, len = len, pen = pen }
      end
      templates[key .. ":" .. tid] = list
    end
  end
end

local function read_data_set(tvb, tree, p, set_end, tid, list)
  local ours = false
  for _, f in ipairs(list) do ours = ours or (f.pen == PEN and by_id[f.id] ~= nil) end
  while p < set_end do
    local start, values = p, {}
    for _, f in ipairs(list) do
      local len, at = f.len, p
      if len == 65535 then
        if p + 1 > set_end then return end
        len, at = tvb(p, 1):uint(), p + 1
        if len == 255 then
          if p + 3 > set_end then return end
          len, at = tvb(p + 1, 2):uint(), p + 3
        end
      end
      if at + len > set_end then return end  -- padding
      values[#values + 1] = { f = f, at = at, len = len }
      p = at + len
    end
    if p == start then return end
    if ours then
      local sub = tree:add(xs, tvb(start, p - start))
      sub:add(f_template, tid):set_generated()
      for _, v in ipairs(values) do
        local e = v.f.pen == PEN and by_id[v.f.id]
        if e then
          if v.len == 0 and e.type == "string" then
            sub:add(e.field, "")
          else
            sub:add(e.field, tvb(v.at, v.len))
          end
        end
      end
    end
  end
end

local function dissect_message(tvb, pinfo, tree)
  if tvb:len() < 16 or tvb(0, 2):uint() ~= 10 then return end
  local len = math.min(tvb(2, 2):uint(), tvb:len())
  local key = session_key(pinfo) .. "/" .. tvb(12, 4):uint()
  local off = 16
  while off + 4 <= len do
    local set_id = tvb(off, 2):uint()
    local set_len = tvb(off + 2, 2):uint()
    if set_len < 4 or off + set_len > len then return end
    if set_id == 2 or set_id == 3 then
      read_template_set(tvb, off + 4, off + set_len, key, set_id == 3)
    elseif set_id >= 256 then
      local list = templates[key .. ":" .. set_id]
      if list then read_data_set(tvb, tree, off + 4, off + set_len, set_id, list) end
    end
    off = off + set_len
  end
end

local cflow = Dissector.get("cflow")

function xs.dissector(tvb, pinfo, tree)
  cflow:call(tvb, pinfo, tree)
  local off = 0
  while off + 16 <= tvb:len() do  -- one message per datagram, but be lenient
    local len = tvb(off + 2, 2):uint()
    if len < 16 then break end
    dissect_message(tvb(off, math.min(len, tvb:len() - off)):tvb(), pinfo, tree)
    off = off + len
  end
  return tvb:len()
end

local function message_length(tvb, pinfo, offset)
  return tvb(offset + 2, 2):uint()
end

local function tcp_message(tvb, pinfo, tree)
  cflow:call(tvb, pinfo, tree)
  dissect_message(tvb, pinfo, tree)
  return tvb:len()
end

function xs_tcp.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, 4, message_length, tcp_message)
  return tvb:len()
end

-- The IANA IPFIX port; other ports: Decode As "xsensor" (UDP) or "xsensor_tcp" (TCP).
DissectorTable.get("udp.port"):add(4739, xs)
DissectorTable.get("tcp.port"):add(4739, xs_tcp)
)lua";

std::string WiresharkLua(const std::vector<ElementInfo>& elements) {
  std::string s =
      "-- xsensor's IPFIX records for Wireshark: every enterprise field (PEN 43823) by name.\n"
      "-- Generated at build time from proto/xsensor/records.proto and elements.textproto.\n"
      "--   tshark -X lua_script:xsensor.lua -r export.pcap -Y xsensor -T fields -e "
      "xsensor.hostname\n"
      "-- or copy it to ~/.local/lib/wireshark/plugins/.\n"
      "local elements = {\n";
  for (const ElementInfo& e : elements) {
    absl::StrAppend(&s, "  [", e.id, "] = { ", Lua(e.name), ", ",
                    Lua(xsensor::IpfixTypeName(e.type)), ", ", Lua(e.description), " },\n");
  }
  s += "}\n";
  s += kLuaBody;
  return s;
}

bool Write(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::perror(path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " OUT_DIR\n";
    return 2;
  }
  const auto& elements = xsensor::Schema::Get().Elements();
  std::string dir = argv[1];
  bool ok = Write(dir + "/xsensor-elements.xml", FixbufXml(elements)) &&
            Write(dir + "/xsensor-libfds.xml", LibfdsXml(elements)) &&
            Write(dir + "/xsensor.lua", WiresharkLua(elements));
  return ok ? 0 : 1;
}
