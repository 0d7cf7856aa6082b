#!/usr/bin/env python3
"""Independent oracle for src/value (BG/NBD, Gamma-Gamma, CLV), written from the papers with scipy.

Reads one JSON request on stdin, writes one JSON answer on stdout. Each request is
{"op": ..., ...}; see the handlers below. The formulas are written the way the papers print them
(beta and gamma functions, 2F1 in its original argument), not the way src/value rearranges them,
so the two implementations share no algebra beyond the paper.

Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2):
  eq. 6 (likelihood), eq. 10 (conditional expectation), P(alive) from the technical note.
Fader, Hardie & Lee (2005), JMR 42(4); Fader & Hardie (2013) "The Gamma-Gamma model of monetary value".
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


def bgnbd_ll(r, alpha, a, b, x, tx, T):
    x = np.asarray(x, dtype=float)
    tx = np.asarray(tx, dtype=float)
    T = np.asarray(T, dtype=float)
    # L = B(a, b+x)/B(a, b) * Γ(r+x) α^r / Γ(r) * [ (α+T)^-(r+x) + δ(x>0) a/(b+x-1) (α+tx)^-(r+x) ]
    head = betaln(a, b + x) - betaln(a, b) + gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    t1 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = np.where(x > 0, np.log(a) - np.log(np.where(x > 0, b + x - 1, 1.0)) - (r + x) * np.log(alpha + tx), -np.inf)
    return head + np.logaddexp(t1, t2)


def bgnbd_palive(r, alpha, a, b, x, tx, T):
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x))


def bgnbd_expected(r, alpha, a, b, x, tx, T, t):
    # eq. 10, 2F1 in the paper's own argument
    z = t / (alpha + T + t)
    f = hyp2f1(r + x, b + x, a + b + x - 1, z)
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * f)
    den = 1.0 if x == 0 else 1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return num / den


def gg_ll(p, q, g, x, m):
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g) + (p * x - 1) * np.log(m)
            + p * x * np.log(x) - (p * x + q) * np.log(g + m * x))


def gg_mean(p, q, g, x, m):
    return (g + m * x) * p / (p * x + q - 1)


def clv(params, x, tx, T, value, horizon, rate, step):
    total, prev, t_prev = 0.0, 0.0, 0.0
    while t_prev < horizon:
        t = min(t_prev + step, horizon)
        e = bgnbd_expected(*params, x, tx, T, t)
        total += (e - prev) * value / (1 + rate) ** (t / 365.0)
        prev, t_prev = e, t
    return total


def fit(neg, starts):
    best = None
    for s in starts:
        u0 = np.log(np.asarray(s, dtype=float))
        res = minimize(neg, u0, method="Nelder-Mead", options={"maxiter": 20000, "maxfev": 40000, "xatol": 1e-10, "fatol": 1e-12})
        res = minimize(neg, res.x, method="BFGS", options={"gtol": 1e-9})
        if best is None or res.fun < best.fun:
            best = res
    return best


def handle(req):
    op = req["op"]
    if op == "bgnbd_ll":
        r, alpha, a, b = req["params"]
        ll = bgnbd_ll(r, alpha, a, b, req["x"], req["tx"], req["T"])
        return {"perCustomer": ll.tolist(), "total": float(ll.sum())}
    if op == "bgnbd_point":
        r, alpha, a, b = req["params"]
        out = []
        for (x, tx, T, t) in req["cases"]:
            out.append({"pAlive": bgnbd_palive(r, alpha, a, b, x, tx, T), "expected": float(bgnbd_expected(r, alpha, a, b, x, tx, T, t))})
        return out
    if op == "hyp2f1":
        return [float(hyp2f1(*c)) for c in req["cases"]]
    if op == "gg":
        p, q, g = req["params"]
        ll = gg_ll(p, q, g, req["x"], req["m"])
        means = [float(gg_mean(p, q, g, x, m)) for x, m in zip(req["x"], req["m"])]
        return {"perCustomer": ll.tolist(), "total": float(ll.sum()), "means": means}
    if op == "clv":
        return [clv(req["params"], x, tx, T, v, req["horizon"], req["rate"], req["step"]) for (x, tx, T, v) in req["cases"]]
    if op == "fit_bgnbd":
        x, tx, T = (np.asarray(req[k], dtype=float) for k in ("x", "tx", "T"))
        neg = lambda u: -bgnbd_ll(*np.exp(u), x, tx, T).sum() / len(x)
        res = fit(neg, req["starts"])
        return {"params": np.exp(res.x).tolist(), "logLikelihood": float(-res.fun * len(x))}
    if op == "fit_gg":
        x, m = np.asarray(req["x"], dtype=float), np.asarray(req["m"], dtype=float)
        neg = lambda u: -gg_ll(*np.exp(u), x, m).sum() / len(x)
        res = fit(neg, req["starts"])
        return {"params": np.exp(res.x).tolist(), "logLikelihood": float(-res.fun * len(x))}
    raise ValueError(f"unknown op {op}")


def finite_or_null(v):
    """JSON has no Infinity or NaN: they travel as null."""
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, list):
        return [finite_or_null(u) for u in v]
    if isinstance(v, dict):
        return {k: finite_or_null(u) for k, u in v.items()}
    return v


if __name__ == "__main__":
    json.dump(finite_or_null(handle(json.load(sys.stdin))), sys.stdout, allow_nan=False)
