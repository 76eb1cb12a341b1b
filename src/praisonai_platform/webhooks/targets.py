"""Where a webhook may be sent: the SSRF guard.

A target must be an http(s) URL whose host resolves only to public addresses: loopback,
private, link-local, unique-local, shared (carrier-grade NAT), multicast, unspecified, reserved
and documentation ranges are refused unless the operator allows private targets
(PLATFORM_WEBHOOK_ALLOW_PRIVATE_TARGETS), and cloud metadata addresses are refused always. The
check runs when a subscription is saved and again before each attempt, after DNS resolution; the
sender then connects to the very address it checked (`Target.pinned_url`), so a name that
resolves elsewhere a moment later (DNS rebinding) is never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from praisonai_platform.core.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services of the cloud providers: never a webhook target, whatever the
# operator allows (they hand out credentials).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, …
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS resolver
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::23",
    )
)
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
RESOLVE_TIMEOUT = 5.0


class TargetRefused(ValidationFailed):
    default_code = "webhook_target_refused"


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address its host resolved to."""

    url: str
    host: str
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (sent with the real Host
        header and TLS server name)."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def host_header(self) -> str:
        parts = urlsplit(self.url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{parts.port}" if parts.port is not None else host


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (through the system resolver)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str) -> SplitResult:
    """The URL's parts, if it is one a webhook may have (else TargetRefused)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a usable URL: {exc}", code="webhook_url_invalid") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused(
            "a webhook URL must start with http:// or https://", code="webhook_url_invalid"
        )
    if not parts.hostname:
        raise TargetRefused("a webhook URL needs a host", code="webhook_url_invalid")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(
            "a webhook URL may not carry credentials (user:password@)", code="webhook_url_invalid"
        )
    if port == 0:
        raise TargetRefused("a webhook URL may not use port 0", code="webhook_url_invalid")
    return parts


def refusal(address: str, *, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused, or None if it may be made."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        ip = _embedded_ipv4(ip) or ip
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a unicast address"
    if allow_private:
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or (
        isinstance(ip, ipaddress.IPv6Address) and (ip.is_site_local or ip in _TRANSLATION_LOCAL_USE)
    ):
        return f"{ip} is a private address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


# IPv6 forms that carry an IPv4 address in their last 32 bits and may reach it: IPv4-mapped,
# SIIT-translated, IPv4-compatible (deprecated) and the NAT64 well-known prefix. Where they go
# is the network's translators' choice, so they are judged as the IPv4 address they carry.
_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in ("::ffff:0:0/96", "::ffff:0:0:0/96", "::/96", "64:ff9b::/96")
)
# NAT64's local-use prefix (RFC 8215) embeds IPv4 wherever its network chose: a private one.
_TRANSLATION_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (through 6to4 included), if any."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) > 1 and any(ip in network for network in _LAST_32_BITS):  # not :: nor ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


def _default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _local_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host in LOCAL_NAMES or host.endswith(".localhost")


async def check_on_save(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Refuse a URL a subscription may not be saved with: a bad scheme, or a host that is or
    resolves to a refused address. A name that does not resolve (yet) is accepted: each attempt
    checks it again."""
    parts = parse(url)
    host = parts.hostname or ""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    elif _local_name(host) and not allow_private:
        raise TargetRefused(f"{host} is this machine: a webhook must reach a public address")
    else:
        try:
            addresses = await asyncio.wait_for(
                resolver(host, _default_port(parts)), RESOLVE_TIMEOUT
            )
        except (OSError, TimeoutError, UnicodeError):
            return
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            raise TargetRefused(f"{host} resolves to a refused address: {reason}")


async def check_for_send(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """Resolve the URL's host and check every address it resolves to; the target to connect
    to. Raises TargetRefused (also when the name does not resolve)."""
    parts = parse(url)
    host = parts.hostname or ""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        if _local_name(host) and not allow_private:
            raise TargetRefused(f"{host} is this machine: a webhook must reach a public address")
        try:
            addresses = await asyncio.wait_for(
                resolver(host, _default_port(parts)), RESOLVE_TIMEOUT
            )
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise TargetRefused(
                f"{host} does not resolve: {exc}", code="webhook_dns_failed"
            ) from None
    if not addresses:
        raise TargetRefused(f"{host} does not resolve", code="webhook_dns_failed")
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            raise TargetRefused(f"{host} resolves to a refused address: {reason}")
    return Target(url=url, host=host, address=addresses[0].split("%", 1)[0])
