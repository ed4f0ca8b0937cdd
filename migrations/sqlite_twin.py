#!/usr/bin/env python3
"""Writes the SQLite twin of a PostgreSQL migration (the two must define the same tables and
columns; tests/api/migrations.rs checks that). Usage: sqlite_twin.py <migration folder name>.
Maps: uuid/timestamptz/date -> text, bigint/boolean -> integer (booleans CHECKed to 0/1),
IS DISTINCT FROM -> IS NOT, bytea -> blob, regex CHECKs -> GLOB, and makes every table STRICT."""
import re
import sys

name = sys.argv[1]
s = open(f"postgres/{name}/up.sql").read()
s = re.sub(r'\buuid\b(?=( PRIMARY KEY| NOT NULL| REFERENCES|,))', 'text', s)
s = re.sub(r'\b(timestamptz|date)\b(?=\s*(NOT NULL|,|\n))', 'text', s)
s = re.sub(r'(\w+)(\s+)boolean NOT NULL DEFAULT false',
           lambda m: f"{m.group(1)}{m.group(2)}integer NOT NULL DEFAULT 0 CHECK ({m.group(1)} IN (0, 1))", s)
s = s.replace('bigint', 'integer')
s = s.replace('bytea', 'blob')
s = s.replace('IS DISTINCT FROM', 'IS NOT')
s = s.replace("CHECK (id ~ '^[A-Z0-9]+_[A-Z0-9]+_[A-Z0-9]+$')",
              "CHECK (id NOT GLOB '*[^A-Z0-9_]*' AND id NOT GLOB '_*' AND id NOT GLOB '*_'"
              " AND id NOT GLOB '*__*' AND length(id) - length(replace(id, '_', '')) = 2)")
s = s.replace('WHERE is_default;', 'WHERE is_default = 1;')
s = re.sub(r'\n\);', '\n) STRICT;', s)
s = "-- SQLite twin of the PostgreSQL migration, written by migrations/sqlite_twin.py.\n" + s
open(f"sqlite/{name}/up.sql", "w").write(s)
