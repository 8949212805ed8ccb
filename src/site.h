// Sites: the registrable domain of a host from the Public Suffix List (compiled in
// at build time, ICANN and private sections), and schemeful same-site checks.
#pragma once

#include <string>
#include <string_view>

#include "origin.h"

namespace cosp {

// The public suffix of an ASCII lowercase domain ("co.uk" for "x.example.co.uk",
// "github.io" for "a.github.io"); unlisted TLDs follow the implicit "*" rule.
std::string public_suffix(std::string_view host);

// The registrable domain (public suffix plus one label) of an ASCII lowercase
// domain, or empty when the host is itself a public suffix or has one label.
std::string registrable_domain(std::string_view host);

// The site of an origin, serialised as "scheme://registrable-domain"; IP addresses,
// localhost and hosts that are public suffixes stand for themselves.
std::string site_of(const Origin& origin);

// Schemeful same site: equal scheme and equal registrable domain (or host).
bool is_same_site(const Origin& a, const Origin& b);

}  // namespace cosp
