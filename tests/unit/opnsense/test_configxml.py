"""config.xml goes into the backup repository with every secret masked and nothing else
changed, and its revision names who saved it."""

from __future__ import annotations

from fleet.opnsense.configxml import MASK, mask, revision

CONFIG = """<?xml version="1.0"?>
<opnsense>
  <system>
    <user>
      <name>root</name>
      <password>$2y$10$abcdefghijklmnopqrstuv</password>
      <apikeys>
        <item>
          <key>AbCdEf0123456789+/==</key>
          <secret>$6$lab$0123abcd</secret>
        </item>
      </apikeys>
    </user>
  </system>
  <ipsec>
    <phase1><pre-shared-key>very-secret-psk</pre-shared-key><descr>site vpn</descr></phase1>
  </ipsec>
  <cert><descr>web</descr><crt>LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t</crt><prv>LS0tLS1CRUdJTiBQUklWQVRF</prv></cert>
  <openvpn><tls>-----BEGIN OpenVPN Static key V1-----
0123456789abcdef
-----END OpenVPN Static key V1-----</tls></openvpn>
  <notes>-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBg
-----END PRIVATE KEY-----</notes>
  <OPNsense><Firewall><Alias><aliases><alias uuid="u1"><name>net_pedago</name>
    <password/><description>[fleet] pedago</description></alias></aliases></Alias></Firewall></OPNsense>
  <revision>
    <username>root@10.32.0.5</username>
    <description>/api/firewall/filter/setRule/u2 made changes</description>
    <time>1796198977.3130</time>
  </revision>
</opnsense>
"""
SECRETS = ("abcdefghijklmnopqrstuv", "AbCdEf0123456789", "0123abcd", "very-secret-psk",
           "LS0tLS1CRUdJTiBQUklWQVRF", "0123456789abcdef", "MIIEvQIBADANBg")  # fmt: skip


def test_every_secret_is_masked_and_nothing_else_changes():
    masked, count = mask(CONFIG)
    assert count == 7
    for secret in SECRETS:
        assert secret not in masked
    assert masked.count(MASK) == 7
    # the rest is byte for byte the same: names, descriptions, the certificate, empty elements
    for kept in ("<name>net_pedago</name>", "<descr>site vpn</descr>", "<password/>",
                 "<crt>LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t</crt>", "[fleet] pedago"):  # fmt: skip
        assert kept in masked
    assert mask(masked) == (masked, 0)  # masking twice changes nothing


def test_revision_says_who_saved_it_when_and_why():
    assert revision(CONFIG) == {
        "username": "root@10.32.0.5",
        "time": "1796198977.3130",
        "description": "/api/firewall/filter/setRule/u2 made changes",
    }
    assert revision("<opnsense/>") == {}
