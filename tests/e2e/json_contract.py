# SPDX-License-Identifier: ISC
#
# This file owns the check of proxyd's JSON replies against the field
# tables of proxyctl(8) (section JSON): every table follows a line
# '.\" json-fields: NAME' and is a tbl block (.TS ... .TE) of
# "field<TAB>type<TAB>meaning" rows.  Usage:
#
#   json_contract.py MANPAGE NAME FILE
#
# FILE holds the JSON of NAME: an array of rows (proxyctl -j) or one
# object (hello, error).  Every object must have exactly the documented
# fields, each of a documented type; array(object) fields are checked
# against the table NAME.FIELD when the page has one.  The type
# "endpoint" is a string "A.B.C.D:PORT" or "[IPV6]:PORT", the IPv6
# address in RFC 5952 form (lower case, longest zero run compressed), port
# 1-65535.  Prints one line
# saying what was checked, or every difference; exits 0 or 1 (2: usage,
# a table missing, or FILE not JSON).
import ipaddress
import json
import re
import sys

TYPES = {"string", "number", "boolean", "null", "object", "array(string)",
         "array(object)", "array(number)", "endpoint", "array(endpoint)"}


def is_endpoint(v):
    """Whether v is "A.B.C.D:PORT" or "[V6]:PORT", V6 in RFC 5952 form."""
    if not isinstance(v, str):
        return False
    m = re.match(r'^\[([0-9a-f:.]+)\]:([0-9]{1,5})$', v)
    if m:
        try:
            a = ipaddress.IPv6Address(m.group(1))
        except ValueError:
            return False
        ok = a.compressed == m.group(1)
    else:
        m = re.match(r'^([0-9.]+):([0-9]{1,5})$', v)
        if not m:
            return False
        try:
            ok = str(ipaddress.IPv4Address(m.group(1))) == m.group(1)
        except ValueError:
            return False
    return ok and 1 <= int(m.group(2)) <= 65535 and \
        str(int(m.group(2))) == m.group(2)


def tables(page):
    """{name: [(field, [types])]} from the page's json-fields tables."""
    out, name, rows, in_ts, fmt_done = {}, None, None, False, False
    for line in open(page, encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r'^\.\\" json-fields: (\S+)$', line)
        if m:
            name, rows = m.group(1), []
            continue
        if name is None:
            continue
        if line == ".TS":
            in_ts, fmt_done = True, False
            continue
        if line == ".TE":
            out[name] = rows
            name, in_ts = None, False
            continue
        if not in_ts:
            continue
        if not fmt_done:        # tbl's format lines end with "."
            fmt_done = line.endswith(".")
            continue
        cells = line.split("\t")
        if len(cells) < 3:
            sys.exit("%s: table %s: row %r is not field, type, meaning"
                     % (page, name, line))
        types = [t.strip() for t in cells[1].split(" or ")]
        for t in types:
            if t not in TYPES:
                sys.exit("%s: table %s: field %s: unknown type %r"
                         % (page, name, cells[0], t))
        rows.append((cells[0], types))
    return out


def type_of(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        kinds = {type_of(e) for e in v}
        if not kinds:
            return "array()"    # empty: any array type
        if len(kinds) == 1:
            return "array(%s)" % kinds.pop()
        return "array(mixed)"
    return "?"


def check(tabs, name, obj, where, errs, counts):
    doc = dict(tabs[name])
    counts[name] = counts.get(name, 0) + 1
    if not isinstance(obj, dict):
        errs.append("%s: not an object: %r" % (where, obj))
        return
    for k in obj:
        if k not in doc:
            errs.append("%s: field '%s' is not documented (value %s)"
                        % (where, k, json.dumps(obj[k])[:60]))
    for k, types in doc.items():
        if k not in obj:
            errs.append("%s: documented field '%s' is missing" % (where, k))
            continue
        t = type_of(obj[k])
        if t == "string" and "endpoint" in types:
            t = "endpoint" if is_endpoint(obj[k]) else "string (not ip:port)"
        elif t == "array(string)" and "array(endpoint)" in types:
            t = "array(endpoint)" if all(map(is_endpoint, obj[k])) else \
                "array(string) (not all ip:port)"
        ok = t in types or (t == "array()" and
                            any(x.startswith("array(") for x in types))
        if not ok:
            errs.append("%s: field '%s' is %s (%s), documented %s"
                        % (where, k, t, json.dumps(obj[k])[:60],
                           " or ".join(types)))
            continue
        sub = "%s.%s" % (name, k)
        if t == "array(object)" and sub in tabs:
            for i, e in enumerate(obj[k]):
                check(tabs, sub, e, "%s.%s[%d]" % (where, k, i), errs,
                      counts)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: json_contract.py MANPAGE NAME FILE")
    page, name, path = sys.argv[1:]
    tabs = tables(page)
    if name not in tabs:
        print("no table '%s' in %s" % (name, page))
        sys.exit(2)
    try:
        data = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as e:
        print("%s: not JSON: %s" % (path, e))
        sys.exit(2)
    objs = data if isinstance(data, list) else [data]
    errs, counts = [], {}
    for i, o in enumerate(objs):
        check(tabs, name, o, "%s[%d]" % (name, i), errs, counts)
    if not objs:
        errs.append("%s: no rows to check" % name)
    if errs:
        for e in errs[:20]:
            print(e)
        if len(errs) > 20:
            print("... and %d more" % (len(errs) - 20))
        sys.exit(1)
    print(", ".join("%d %s object(s), %d fields each" %
                    (n, k, len(tabs[k])) for k, n in sorted(counts.items())))
    sys.exit(0)


main()
