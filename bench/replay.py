#!/usr/bin/env python3
"""Turns what PostgreSQL logged for one request (log_statement = 'all')
into a pgbench script that sends exactly those statements again.

    replay.py LOG [--vary 'TEXT:N=EXPR' ...] [--gset 'TEXT'] > script.sql

Each logged statement becomes one pgbench command, its parameters put
back as the literals the server sent ($N = 'value'). Statements the
instance sends on its own (heartbeats) are left out. `--vary` replaces
parameter N of the statements containing TEXT with EXPR instead (a
pgbench variable such as :version, or an expression using one), so that
each transaction can write a different row; `--gset` ends the statements
containing TEXT with \\gset, so what they return (a new version) is there
for the next transaction. Fails when the log holds statements of more than
one connection: then it was not one request's.
"""

import re
import sys

ENTRY = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL|ERROR|STATEMENT|HINT|CONTEXT|WARNING):  (.*)$")
STATEMENT = re.compile(r"^(?:statement|execute [^:]+): (.*)$", re.S)
PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
BACKGROUND = ("pg_notify",)


def entries(lines):
    """(pid, level, text) for each log entry, continuation lines joined."""
    current = None
    for line in lines:
        match = ENTRY.match(line.rstrip("\n"))
        if match:
            if current:
                yield current
            current = [match.group(1), match.group(2), match.group(3)]
        elif current:
            current[2] += "\n" + line.rstrip("\n")
    if current:
        yield current


def main():
    args = sys.argv[1:]
    log = args.pop(0)
    vary, gset = [], []
    while args:
        flag, value = args.pop(0), args.pop(0)
        if flag == "--vary":
            text, rest = split_vary(value)
            number, expression = rest.split("=", 1)
            vary.append((text, int(number), expression))
        elif flag == "--gset":
            gset.append(value)
        else:
            sys.exit(f"unknown flag {flag}")
    statements = []  # [pid, sql, {n: literal}]
    with open(log, encoding="utf-8", errors="replace") as file:
        for pid, level, text in entries(file):
            if level == "LOG":
                match = STATEMENT.match(text)
                if match:
                    statements.append([pid, match.group(1).strip(), {}])
            elif level == "DETAIL" and text.lower().startswith("parameters: ") and statements and statements[-1][0] == pid:
                statements[-1][2] = {int(n): literal for n, literal in PARAMETER.findall(text)}
            elif level == "ERROR":
                sys.exit(f"the captured request failed: {text}")
    statements = [s for s in statements if not any(word in s[1] for word in BACKGROUND)]
    pids = {s[0] for s in statements}
    if len(pids) != 1:
        sys.exit(f"expected the statements of one connection, got {len(pids)}: {pids}")
    for _, sql, parameters in statements:
        for text, number, expression in vary:
            if text in sql:
                parameters[number] = expression
        # Highest first, so $1 does not eat the start of $10.
        for number in sorted(parameters, reverse=True):
            sql = re.sub(rf"\${number}(?!\d)", lambda _: parameters[number], sql)
        one_line = " ".join(sql.split())
        if any(text in sql for text in gset):
            print(one_line.rstrip(";") + " \\gset")
        else:
            print(one_line.rstrip(";") + ";")


def split_vary(value):
    """'TEXT:N=EXPR' where EXPR may hold colons (pgbench variables)."""
    match = re.match(r"^(.*?):(\d+=.*)$", value, re.S)
    if not match:
        sys.exit(f"--vary wants TEXT:N=EXPR, got {value!r}")
    return match.group(1), match.group(2)


if __name__ == "__main__":
    main()
