#!/usr/bin/env python3
"""pandas reads meshguard's bulk formats as they are: pd.read_csv and pd.read_json(lines=True) straight
from the gateway's URL (the token in storage_options, as pandas sends it as a header), each compared with
the JSON API's answer to the same query: the same rows, the same values, the dtypes the column types call
for, masked columns still masked. Run by .ci/notebook-check.sh against a real gateway; reads MESHGUARD_URL
and MESHGUARD_TOKEN or MESHGUARD_TOKEN_COMMAND like the notebooks."""
import os
import subprocess
import sys
import urllib.error
from urllib.parse import urlencode

import pandas as pd
import requests

BASE_URL = os.environ.get("MESHGUARD_URL", "http://127.0.0.1:8080").rstrip("/")

# NULL is an empty CSV field, and only that: pandas' default NA strings would turn the text "NA" (the
# demo's North America region) into NaN.
CSV_NULLS = {"keep_default_na": False, "na_values": [""]}

# The dtype pandas gives each catalog type when the column has no NULL (as in the demo data).
EXPECTED_DTYPE = {"integer": "int64", "decimal": "float64", "text": "object", "timestamp": "datetime64[ns, UTC]"}


def token():
    value = os.environ.get("MESHGUARD_TOKEN", "").strip()
    command = os.environ.get("MESHGUARD_TOKEN_COMMAND", "").strip()
    if not value and command:
        value = subprocess.run(command, shell=True, capture_output=True, text=True, check=True).stdout.strip()
    if not value:
        sys.exit("check_pandas_io: set MESHGUARD_TOKEN or MESHGUARD_TOKEN_COMMAND")
    return value


AUTH = {"Authorization": f"Bearer {token()}"}


def rows_url(domain, dataset, params):
    return f"{BASE_URL}/v1/datasets/{domain}/{dataset}/rows?{urlencode(params)}"


def json_answer(domain, dataset, params):
    """The JSON API's answer (one page: the queries here stay under its 10000-row limit) and the column types."""
    r = requests.get(rows_url(domain, dataset, [*params, ("limit", "10000")]), headers=AUTH, timeout=60)
    r.raise_for_status()
    body = r.json()
    assert len(body["rows"]) < 10000, "the check's query must fit one JSON page"
    meta = requests.get(f"{BASE_URL}/v1/datasets/{domain}/{dataset}", headers=AUTH, timeout=60)
    meta.raise_for_status()
    types = {c["name"]: c["type"] for c in meta.json()["columns"]}
    frame = pd.DataFrame(body["rows"], columns=body["columns"])
    for name in body["columns"]:
        if types[name] == "timestamp":
            frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame, {name: types[name] for name in body["columns"]}


def same_as_json(label, got, expected, types):
    assert list(got.columns) == list(expected.columns), f"{label}: columns {list(got.columns)} != {list(expected.columns)}"
    assert len(got) == len(expected), f"{label}: {len(got)} rows, the JSON API answers {len(expected)}"
    for name, kind in types.items():
        want = EXPECTED_DTYPE[kind]
        assert str(got[name].dtype) == want, f"{label}: {name} ({kind}) read as {got[name].dtype}, not {want}"
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False, obj=label)
    print(f"ok {label}: {len(got)} rows, dtypes {dict((n, str(t)) for n, t in got.dtypes.items())}")


def check(domain, dataset, params, masked=()):
    expected, types = json_answer(domain, dataset, params)
    assert len(expected) > 0, f"{domain}.{dataset} {params}: the JSON API answers no rows: nothing to compare"
    for name in masked:
        assert expected[name].str.startswith("tok_").all(), f"{name} should come back masked for this subject"
    dates = [n for n, kind in types.items() if kind == "timestamp"]
    csv = pd.read_csv(rows_url(domain, dataset, [*params, ("format", "csv")]), storage_options=AUTH, parse_dates=dates, **CSV_NULLS)
    same_as_json(f"read_csv {domain}.{dataset}", csv, expected, types)
    ndjson = pd.read_json(rows_url(domain, dataset, [*params, ("format", "ndjson")]), lines=True, storage_options=AUTH)
    same_as_json(f"read_json(lines=True) {domain}.{dataset}", ndjson, expected, types)


def check_refused(domain, dataset, status):
    """A refusal is an HTTP error pandas raises, never a frame made of the problem document."""
    for fmt in ("csv", "ndjson"):
        try:
            reader = pd.read_csv if fmt == "csv" else lambda url, **kw: pd.read_json(url, lines=True, **kw)
            reader(rows_url(domain, dataset, [("format", fmt)]), storage_options=AUTH)
        except urllib.error.HTTPError as error:
            assert error.code == status, f"{domain}.{dataset} as {fmt}: HTTP {error.code}, expected {status}"
        else:
            raise AssertionError(f"{domain}.{dataset} as {fmt}: read without error, expected HTTP {status}")
    print(f"ok {domain}.{dataset} refused with {status} in csv and ndjson")


if __name__ == "__main__":
    check("sales", "orders", [("region", "eq.EU"), ("created_at", "gte.2026-01-01T00:00:00Z")])
    check("sales", "orders", [("select", "id,amount,created_at"), ("order", "amount.desc"), ("status", "eq.refunded")])
    check("sales", "customers", [], masked=("email",))
    check("sales", "orders", [("region", "eq.NA"), ("select", "id,region,amount")])
    check_refused("hr", "employees", 403)
