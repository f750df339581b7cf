"""The stage board as one self-contained HTML page, drawn from board.py's document alone.

Inline CSS and JavaScript only; a Content-Security-Policy that names their hashes and allows
nothing else, so the page loads nothing from the network, and markup slipped in through a
spec's name could not run even if escaping failed. Every text from the repository is escaped
(control characters made visible first). The page reads well without its script (every card,
the chart and its table are markup); the script adds the filters (pack, lifecycle, search,
claims ahead) and arrow keys between cards. Light and dark schemes follow
`prefers-color-scheme`; `@media print` drops the controls and lets the columns wrap.
Meaning is never carried by colour alone: claims, statuses and moves carry a word and a
sign, the chart's bands are labelled and its figures are in a table beside it.
Same document, same bytes: no clock, no random ids.
"""
from __future__ import annotations

import base64
import hashlib
import html

from .board import GENERATOR
from .controls import escaped

STATUS_SIGN = {"fail": "✗", "error": "⚠"}
MAX_EVIDENCE = 1  # evidence lines on a card per gate (the first); the rest are counted
MAX_LACKS = 2  # gates shown open on a card; the others behind a "more" disclosure (opened to print)
MAX_TICKS = 8


def e(text) -> str:
    """Repository text as HTML text or an attribute value."""
    return html.escape(escaped("" if text is None else text), quote=True)


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _id(*parts) -> str:
    """An element id from document values (deterministic; only letters, digits and hyphens)."""
    raw = "-".join(str(p) for p in parts)
    safe = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in raw)
    return safe.strip("-") + "-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:6]


def _link(text: str, url) -> str:
    return f'<a href="{e(url)}">{text}</a>' if url else text


def render(doc: dict) -> str:
    head = (f"<title>Stage board · {e(doc['root'])}</title>\n"
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'{_sha(CSS)}\'; '
            f"script-src '{_sha(SCRIPT)}'; img-src data:; base-uri 'none'; form-action 'none'\">\n")
    body = [_header(doc), "<main>", _repository(doc)]
    body += [_lifecycle(doc, lc) for lc in doc["lifecycles"]]
    if not doc["lifecycles"]:
        body.append('<p class="empty">No lifecycle in the packs that ran: no subject to show.</p>')
    body.append(_history(doc))
    body.append("</main>")
    body.append(f'<footer><p>Made by policylint {e(doc["policylint"])} (<code>policylint board</code>). Stages are earned '
                "by passing every gate up to them; a claim is what the subject's files say.</p></footer>")
    return ("<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="generator" content="{GENERATOR}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="color-scheme" content="light dark">\n'
            '<link rel="icon" href="data:,">\n'
            + head + f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(p for p in body if p)
            + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


# -- the header and its controls ------------------------------------------------------------
def _header(doc) -> str:
    subjects = doc["subjects"]
    ahead = sum(1 for s in subjects if s["claim"] == "ahead")
    held = sum(1 for s in subjects if s["lacks"])
    facts = [f"<code>{e(doc['root'])}</code>", "packs " + (", ".join(e(p) for p in doc["packs"]) or "none")]
    if doc["commit"]:
        short = f"<code>{e(doc['commit'][:12])}</code>"
        facts.append("at " + _link(short, doc["repo_url"] and f"{doc['repo_url']}/commit/{doc['commit']}"))
    counts = (f"{len(subjects)} subject{'s' if len(subjects) != 1 else ''} · {held} held back by a gate · "
              f"{ahead} claim{'s' if ahead != 1 else ''} ahead of the evidence")
    packs = "".join(f'<option value="{e(p)}">{e(p)}</option>' for p in sorted({lc["pack"] for lc in doc["lifecycles"]}))
    lifecycles = "".join(f'<option value="{e(lc["id"])}">{e(lc["id"])}</option>' for lc in doc["lifecycles"])
    return f"""<header>
<h1>Stage board</h1>
<p class="facts">{' · '.join(facts)}</p>
<p class="counts">{counts}</p>
<form id="filters" role="search" aria-label="Filter the board" hidden>
<label>Search subjects <input type="search" id="f-search" autocomplete="off" placeholder="e.g. 004 or invoice"></label>
<label>Pack <select id="f-pack"><option value="">all packs</option>{packs}</select></label>
<label>Lifecycle <select id="f-lifecycle"><option value="">all lifecycles</option>{lifecycles}</select></label>
<label class="check"><input type="checkbox" id="f-ahead"> only claims ahead of the evidence</label>
<button type="button" id="f-clear">Clear filters</button>
</form>
<p id="shown" role="status" aria-live="polite"></p>
</header>"""


def _repository(doc) -> str:
    rows = doc["repository"]
    if not rows:
        return ""
    items = "".join(f'<li><span class="status {e(r["status"])}">{STATUS_SIGN.get(r["status"], "✗")} {e(r["status"])}'
                    f'</span> <code>{e(r["gate"])}</code> {e(r["title"])}'
                    + (f'<br><span class="ev">{_first(r["first"], r["url"])}</span>' if r["first"] else "") + "</li>"
                    for r in rows)
    return (f'<section class="repository" aria-labelledby="repo-gates"><h2 id="repo-gates">Repository-wide gates '
            f"failing ({len(rows)})</h2><ul>{items}</ul></section>")


def _first(first: str, url) -> str:
    """`path:line: message`, the `path:line` a link when there is one."""
    where, sep, message = first.partition(": ")
    if not sep:
        return _link(f"<code>{e(first)}</code>", url) if url else e(first)
    return _link(f"<code>{e(where)}</code>", url) + ": " + e(message)


# -- the board -------------------------------------------------------------------------------
def _lifecycle(doc, lc) -> str:
    mine = [s for s in doc["subjects"] if s["lifecycle"] == lc["id"]]
    heading = _id("lc", lc["id"])
    columns = [(None, "no stage yet")] + [(stage, stage) for stage in lc["stages"]]
    cols = []
    for stage, label in columns:
        cards = [s for s in mine if (s["earned"] if s["earned"] in lc["stages"] else None) == stage]
        if stage is None and not cards:
            continue
        col = _id("col", lc["id"], label)
        cols.append(f'<section class="column{" empty" if not cards else ""}{" none" if stage is None else ""}" '
                    f'aria-labelledby="{col}"><h3 id="{col}">{e(label)} <span class="count">{len(cards)}</span></h3>'
                    f'<ul class="cards">{"".join(_card(s, lc) for s in cards)}</ul></section>')
    n = len(mine)
    return (f'<section class="lifecycle" data-pack="{e(lc["pack"])}" data-lifecycle="{e(lc["id"])}" '
            f'aria-labelledby="{heading}">\n<h2 id="{heading}">{e(lc["id"])} <span class="title">{e(lc["title"])}'
            f'</span></h2>\n<p class="legend">{n} subject{"s" if n != 1 else ""} · one column per stage, '
            f"each subject in the column of the stage it has earned</p>\n"
            f'<div class="board">{"".join(cols)}</div>\n</section>')


def _card(s, lc) -> str:
    heading = _id("card", s["lifecycle"], s["id"])
    parts = [f'<h4 id="{heading}">{_link(e(s["id"]), s["url"])}</h4>']
    claimed = _link(f"<b>{e(s['claimed'])}</b>", s["claimed_url"]) if s["claimed"] else ""
    if s["claim"] == "ahead":
        parts.append(f'<p class="claim ahead"><span class="sign" aria-hidden="true">▲</span> '
                     f"<strong>Claim ahead:</strong> claims {claimed}, evidence earns "
                     f"{e(s['earned']) if s['earned'] else 'no stage'}</p>")
    elif s["claim"] == "behind":
        parts.append(f'<p class="claim behind"><span class="sign" aria-hidden="true">▽</span> '
                     f"Claim behind: claims {claimed}</p>")
    elif s["claim"] == "none":
        parts.append('<p class="claim none">claims no stage</p>')
    else:
        parts.append(f'<p class="claim same"><span class="sign" aria-hidden="true">✓</span> claims {claimed}</p>')
    if s["next"]:
        parts.append(f'<p class="next">next: <b>{e(s["next"])}</b></p>')
    if s["lacks"]:
        items = []
        for lack in s["lacks"]:
            evidence = lack["evidence"][:MAX_EVIDENCE]
            lines = "".join(f'<li>{_first(_evidence_text(ev), ev["url"])}</li>' for ev in evidence)
            if not evidence and lack["first"]:
                lines = f"<li>{e(lack['first'])}</li>"
            more = len(lack["evidence"]) - len(evidence)
            if more > 0:
                lines += f'<li class="more">… and {more} more</li>'
            severity = f" ({e(lack['severity'])})" if lack["severity"] != "error" else ""
            items.append(f'<li><span class="status {e(lack["status"])}">{STATUS_SIGN.get(lack["status"], "✗")} '
                         f'{e(lack["status"])}{severity}</span> <code class="gate">{e(_short_gate(lack["gate"]))}</code>'
                         f' <span class="gtitle">{e(lack["title"])}</span><ul class="ev">{lines}</ul></li>')
        parts.append(f'<ul class="lacks" aria-label="gates that hold it back">{"".join(items[:MAX_LACKS])}</ul>')
        if len(items) > MAX_LACKS:
            rest = len(items) - MAX_LACKS
            parts.append(f'<details class="more-lacks"><summary>{rest} more gate{"s" if rest != 1 else ""} '
                         f'holding it back</summary><ul class="lacks">{"".join(items[MAX_LACKS:])}</ul></details>')
    if s["waivers"]:
        items = []
        for w in s["waivers"]:
            extra = [f"approved by {e(w['approved_by'])}" if w.get("approved_by") else "",
                     f"until {e(w['expires'])}" if w.get("expires") else ""]
            extra = "; ".join(x for x in extra if x)
            items.append(f'<li><span class="sign" aria-hidden="true">⚑</span> waived <code class="gate">'
                         f'{e(_short_gate(w["gate"]))}</code>: {e(w.get("reason") or "")}'
                         + (f" ({extra})" if extra else "") + "</li>")
        parts.append(f'<ul class="waivers" aria-label="waivers">{"".join(items)}</ul>')
    history = s.get("history")
    if history and history["moves"]:
        back = sum(1 for m in history["moves"] if m["kind"] == "back")
        if back:
            parts.append(f'<p class="moved-back"><span class="sign" aria-hidden="true">↓</span> moved back '
                         f"{back} time{'s' if back != 1 else ''} in the history</p>")
        parts.append(f'<details class="moves"><summary>Stage history ({len(history["moves"])} '
                     f'change{"s" if len(history["moves"]) != 1 else ""})</summary><ol>'
                     + "".join(f"<li>{_move(m)}</li>" for m in history["moves"]) + "</ol></details>")
    search = f"{s['id']} {s['claimed'] or ''} {s['earned'] or ''}".lower()
    return (f'<li><article class="card claim-{e(s["claim"])}" tabindex="0" aria-labelledby="{heading}" '
            f'data-search="{e(search)}" data-pack="{e(s["pack"])}" data-lifecycle="{e(s["lifecycle"])}" '
            f'data-claim="{e(s["claim"])}">{"".join(parts)}</article></li>')


def _evidence_text(ev) -> str:
    where = f"{ev['path']}:{ev['line']}" if ev["line"] else ev["path"]
    return f"{where}: {ev['message']}" if ev["message"] else where


def _short_gate(gate: str) -> str:
    """`speckit.implementing.all-done` -> `implementing.all-done`: the card names its pack already."""
    return gate.split(".", 1)[1] if gate.count(".") >= 2 else gate


def _when(stamp) -> str:
    """A commit's date (to the minute, UTC) and short sha."""
    shown = stamp["date"][:16].replace("T", " ")
    return f'<time datetime="{e(stamp["date"])}">{e(shown)}</time> <code>{e(stamp["short"])}</code>'


def _move(m) -> str:
    when = _when(m)
    to = e(m["to"]) if m["to"] else "no stage"
    was = e(m["from"]) if m["from"] else "no stage"
    text = {"appeared": f"appeared at <b>{to}</b>",
            "forward": f"<span class=\"sign\" aria-hidden=\"true\">↑</span> forward: {was} → <b>{to}</b>",
            "back": f"<span class=\"sign\" aria-hidden=\"true\">↓</span> <strong>back</strong>: {was} → <b>{to}</b>",
            "gone": "removed"}[m["kind"]]
    return f"{when} {text}"


# -- the history -----------------------------------------------------------------------------
def _history(doc) -> str:
    history = doc["history"]
    if history is None:
        return ('<section id="history" aria-labelledby="h-history"><h2 id="h-history">History</h2>'
                "<p>Not evaluated (no git history, or <code>--no-history</code>).</p></section>")
    commits = history["commits"]
    out = ['<section id="history" aria-labelledby="h-history">',
           f'<h2 id="h-history">History: {len(commits)} commit{"s" if len(commits) != 1 else ""}'
           + (f" from {e(commits[0]['date'][:10])} to {e(commits[-1]['date'][:10])}" if commits else "") + "</h2>"]
    for lc in doc["lifecycles"]:
        rows = history["flow"].get(lc["id"], [])
        out.append(f'<div class="lc-history" data-pack="{e(lc["pack"])}" data-lifecycle="{e(lc["id"])}">')
        out.append(_flow_figure(lc, rows, commits))
        out.append(_entries_table(doc, lc))
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _bands(lc) -> list:
    """(key, label, class) from the bottom of the chart up: the furthest stage first, as a
    cumulative flow diagram stacks what is done under what is in progress."""
    stages = lc["stages"]
    return ([(s, s, f"s{i % 12}") for i, s in reversed(list(enumerate(stages)))] + [(None, "no stage", "sn")])


def _flow_figure(lc, rows, commits) -> str:
    fig = _id("flow", lc["id"])
    table = _id("flowtable", lc["id"])
    bands = _bands(lc)
    values = [[row["no_stage"] if key is None else row["earned"].get(key, 0) for key, _, _ in bands] for row in rows]
    summary = (f"Cumulative flow of lifecycle {lc['id']}: subjects per earned stage at each of "
               f"{len(rows)} commits, the furthest stage at the bottom; the table below has the figures.")
    svg = _svg(values, bands, commits, fig) if rows else "<p>No commit evaluated.</p>"
    head = "".join(f'<th scope="col">{e(label)}</th>' for _, label, _ in reversed(bands))
    body = []
    for row, commit in zip(rows, commits):
        cells = "".join(f"<td>{row['no_stage'] if key is None else row['earned'].get(key, 0)}</td>"
                        for key, _, _ in reversed(bands))
        body.append(f'<tr><th scope="row">{_when(commit)} <span class="ctitle">{e(commit["title"])}</span></th>'
                    f"{cells}</tr>")
    return (f'<figure class="flow" aria-labelledby="{fig}-cap">{svg}'
            f'<figcaption id="{fig}-cap"><b>{e(lc["id"])}</b>: subjects per earned stage over the last '
            f'{len(rows)} commit{"s" if len(rows) != 1 else ""} (cumulative flow; the furthest stage at the '
            f"bottom)</figcaption>{_legend(bands)}</figure>\n"
            f'<details class="table"><summary>The figures as a table</summary>'
            f'<table id="{table}"><caption>{e(summary)}</caption><thead><tr><th scope="col">commit</th>{head}</tr>'
            f'</thead><tbody>{"".join(body)}</tbody></table></details>')


def _legend(bands) -> str:
    items = "".join(f'<li><span class="swatch {cls}" aria-hidden="true"></span>{e(label)}</li>'
                    for _, label, cls in reversed(bands))
    return f'<ul class="chart-legend" aria-label="stages, top to bottom">{items}</ul>'


def _n(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(values, bands, commits, fig) -> str:
    """Stacked areas, one per band, over commits spaced evenly (a commit is a step, whatever its date)."""
    width, height = 920, 300
    left, right, top, bottom = 40, 170, 12, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(values)
    top_total = max((sum(v) for v in values), default=0) or 1
    xs = [left + (plot_w * i / (n - 1) if n > 1 else 0) for i in range(n)]
    if n == 1:  # one commit: a band as wide as the chart
        xs, values = [left, left + plot_w], values * 2

    def y(v):
        return top + plot_h - plot_h * v / top_total

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
           f'aria-labelledby="{fig}-title" xmlns="http://www.w3.org/2000/svg"><title id="{fig}-title">'
           f"Cumulative flow: subjects per earned stage, per commit</title>"]
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000) if top_total / s <= 6) \
        if top_total <= 6000 else top_total // 5
    ticks = sorted(set(range(0, top_total + 1, step)) | {top_total})
    for t in ticks:
        out.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_n(y(t))}" y2="{_n(y(t))}"/>'
                   f'<text class="tick" x="{left - 6}" y="{_n(y(t) + 4)}" text-anchor="end">{t}</text>')
    below = [0] * len(xs)
    for b, (_key, label, cls) in enumerate(bands):
        above = [below[i] + values[i][b] for i in range(len(xs))]
        if any(values[i][b] for i in range(len(xs))):
            upper = " ".join(f"L{_n(xs[i])},{_n(y(above[i]))}" for i in range(len(xs)))
            lower = " ".join(f"L{_n(xs[i])},{_n(y(below[i]))}" for i in reversed(range(len(xs))))
            path = "M" + upper[1:] + " " + lower + " Z"
            out.append(f'<path class="band {cls}" d="{path}"><title>{e(label)}</title></path>')
            last = values[-1][b]
            if last and plot_h * last / top_total >= 12:
                mid = y(below[-1] + last / 2)
                out.append(f'<text class="label" x="{left + plot_w + 8}" y="{_n(mid + 4)}">{e(label)} ({last})</text>')
        below = above
    out.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}"/>'
               f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    shown = _tick_indexes(len(commits))
    for i in shown:
        x = xs[i] if len(commits) > 1 else left + plot_w / 2
        anchor = "start" if i == 0 and len(commits) > 1 else "end" if i == len(commits) - 1 and len(commits) > 1 \
            else "middle"
        out.append(f'<text class="tick" x="{_n(x)}" y="{top + plot_h + 16}" text-anchor="{anchor}">'
                   f'{e(commits[i]["short"])}</text>')
        if i in (0, len(commits) - 1):
            out.append(f'<text class="tick date" x="{_n(x)}" y="{top + plot_h + 32}" text-anchor="{anchor}">'
                       f'{e(commits[i]["date"][:10])}</text>')
    out.append("</svg>")
    return "".join(out)


def _tick_indexes(n: int) -> list:
    if n <= MAX_TICKS:
        return list(range(n))
    step = (n - 1) / (MAX_TICKS - 1)
    return sorted({round(k * step) for k in range(MAX_TICKS)})


def _entries_table(doc, lc) -> str:
    """When each subject entered each stage it holds, and its moves back: the per-subject timeline."""
    mine = [s for s in doc["subjects"] if s["lifecycle"] == lc["id"] and s.get("history")]
    if not mine:
        return ""
    reached = [st for st in lc["stages"] if any(st in s["history"]["entered"] for s in mine)]
    head = "".join(f'<th scope="col">{e(st)}</th>' for st in reached)
    rows = []
    for s in mine:
        cells = []
        for st in reached:
            entered = s["history"]["entered"].get(st)
            cells.append(f"<td>{_when(entered)}</td>" if entered else "<td>—</td>")
        backs = [m for m in s["history"]["moves"] if m["kind"] == "back"]
        back = "; ".join(f'{e(m["from"] or "no stage")} → {e(m["to"] or "no stage")} '
                         f'<code>{e(m["short"])}</code>' for m in backs) or "—"
        rows.append(f'<tr><th scope="row">{e(s["id"])}</th>{"".join(cells)}<td>{back}</td></tr>')
    cap = _id("entries", lc["id"])
    return (f'<table class="entries" aria-labelledby="{cap}"><caption id="{cap}">{e(lc["id"])}: the commit at which '
            f"each subject entered each stage it holds now (the last time, if it lost the stage and earned it "
            f"again; the first commit shown, for a stage held since before it), and its moves back</caption><thead><tr><th scope=\"col\">subject</th>{head}"
            f'<th scope="col">moved back</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


CSS = """
:root{--bg:#f7f7f5;--fg:#1b1d21;--muted:#5b616b;--card:#fff;--line:#d4d6da;--col:#eceeef;--accent:#0b57d0;
--ahead:#9a3412;--ahead-bg:#fff1e6;--fail:#b3261e;--ok:#1e6b35;--focus:#0b57d0;--waive:#6b4f00;
--s0:#9ecae1;--s1:#6baed6;--s2:#4292c6;--s3:#2171b5;--s4:#a1d99b;--s5:#74c476;--s6:#41ab5d;--s7:#238b45;
--s8:#fdae6b;--s9:#fd8d3c;--s10:#e6550d;--s11:#a63603;--sn:#bdbdbd}
@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e7e9;--muted:#a3a9b3;--card:#202328;--line:#3a3f47;
--col:#1b1e22;--accent:#8ab4f8;--ahead:#ffb68a;--ahead-bg:#3a2418;--fail:#f2b8b5;--ok:#8fd19e;--focus:#8ab4f8;
--waive:#e8c66a;--sn:#5f6368}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{padding:0 1.25rem}
h1{font-size:1.5rem;margin:1rem 0 .25rem}
h2{font-size:1.15rem;margin:1.5rem 0 .25rem}
h2 .title{font-weight:normal;color:var(--muted);font-size:.95rem}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
a{color:var(--accent)}
.facts,.counts,.legend,footer{color:var(--muted);margin:.2rem 0}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.75rem 0 .25rem}
form label{display:flex;flex-direction:column;gap:.15rem;font-size:.85rem;color:var(--muted)}
form label.check{flex-direction:row;align-items:center;gap:.35rem;color:var(--fg)}
input,select,button{font:inherit;color:var(--fg);background:var(--card);border:1px solid var(--line);border-radius:6px;
padding:.3rem .5rem}
input[type=search]{min-width:16rem}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
#shown{min-height:1.2em;margin:.25rem 0;color:var(--muted)}
.board{display:flex;gap:.5rem;overflow-x:auto;padding-bottom:.5rem;align-items:stretch}
.column{flex:1 0 12rem;background:var(--col);border:1px solid var(--line);border-radius:8px;padding:.4rem;min-width:0}
.column.empty{flex:0 0 5.5rem}
.column.none{border-style:dashed}
.column h3{font-size:.85rem;margin:.1rem .2rem .4rem;overflow-wrap:anywhere;text-transform:none}
.count{display:inline-block;min-width:1.4em;text-align:center;border:1px solid var(--line);border-radius:9px;
font-weight:normal;font-size:.8rem;padding:0 .3rem;background:var(--card)}
.cards{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.45rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem .6rem;overflow-wrap:anywhere}
.card.claim-ahead{border-left:5px solid var(--ahead)}
.card h4{margin:0 0 .25rem;font-size:.92rem}
.card p{margin:.15rem 0}
.claim.ahead{color:var(--ahead);background:var(--ahead-bg);border-radius:4px;padding:.1rem .3rem}
.claim.same,.claim.none,.claim.behind,.next{color:var(--muted)}
.lacks,.waivers{list-style:none;margin:.35rem 0 0;padding:0}
.lacks>li,.waivers>li{border-top:1px solid var(--line);padding-top:.3rem;margin-top:.3rem;font-size:.85rem}
.status{font-weight:600;color:var(--fail)}
.gtitle{color:var(--muted)}
ul.ev{list-style:none;margin:.15rem 0 0;padding:0 0 0 .6rem;font-size:.82rem}
ul.ev li{margin:.1rem 0}
.more{color:var(--muted)}
.waivers li{color:var(--waive)}
.moved-back{color:var(--ahead);font-size:.85rem}
details{margin:.35rem 0}
summary{cursor:pointer;color:var(--muted);font-size:.85rem}
details ol{margin:.25rem 0;padding-left:1.2rem;font-size:.82rem}
.repository ul{padding-left:1.2rem}
.flow{margin:.5rem 0;max-width:100%}
.chart{max-width:100%;height:auto;color:var(--fg)}
.chart .band{stroke:var(--bg);stroke-width:1}
.chart .grid{stroke:var(--line);stroke-dasharray:2 3}
.chart .axis{stroke:var(--muted)}
.chart text{fill:var(--fg);font:11px system-ui,sans-serif}
.chart .tick{fill:var(--muted)}
""" + "".join(f".s{i}{{fill:var(--s{i})}}.swatch.s{i}{{background:var(--s{i})}}" for i in range(12)) + """
.sn{fill:var(--sn)}.swatch.sn{background:var(--sn)}
.chart-legend{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem .9rem;padding:0;margin:.3rem 0;font-size:.85rem}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid var(--line);margin-right:.3rem;vertical-align:-.1em}
figcaption{color:var(--muted);font-size:.85rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.82rem}
caption{text-align:left;color:var(--muted);padding:.25rem 0;caption-side:top}
th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}
td{font-variant-numeric:tabular-nums}
.ctitle{font-weight:normal;color:var(--muted)}
[hidden]{display:none!important}
@media print{
:root{--bg:#fff;--fg:#000;--card:#fff;--col:#fff;--muted:#333;--line:#999}
form,#shown{display:none!important}
.board{flex-wrap:wrap;overflow:visible}
.column{flex:1 0 11rem;break-inside:avoid}
.column.empty{flex:0 0 auto}
.card,figure,tr{break-inside:avoid}
a{color:inherit;text-decoration:none}
}
"""

SCRIPT = """
(function(){
"use strict";
var form=document.getElementById("filters");
var search=document.getElementById("f-search"),pack=document.getElementById("f-pack"),
lifecycle=document.getElementById("f-lifecycle"),ahead=document.getElementById("f-ahead"),
shown=document.getElementById("shown");
var cards=Array.prototype.slice.call(document.querySelectorAll(".card"));
function matches(el){
return (!pack.value||el.getAttribute("data-pack")===pack.value)&&
(!lifecycle.value||el.getAttribute("data-lifecycle")===lifecycle.value);}
function apply(){
var text=search.value.trim().toLowerCase(),count=0;
cards.forEach(function(card){
var ok=matches(card)&&(!text||card.getAttribute("data-search").indexOf(text)>=0)&&
(!ahead.checked||card.getAttribute("data-claim")==="ahead");
card.parentNode.hidden=!ok;if(ok){count++;}});
Array.prototype.forEach.call(document.querySelectorAll(".lifecycle,.lc-history"),function(el){el.hidden=!matches(el);});
Array.prototype.forEach.call(document.querySelectorAll(".column"),function(col){
var n=col.querySelectorAll(".cards>li:not([hidden])").length;
col.querySelector(".count").textContent=String(n);col.classList.toggle("empty",n===0);});
shown.textContent=count===cards.length?"":count+" of "+cards.length+" subjects shown";}
form.addEventListener("input",apply);form.addEventListener("change",apply);
form.addEventListener("submit",function(ev){ev.preventDefault();});
document.getElementById("f-clear").addEventListener("click",function(){
search.value="";pack.value="";lifecycle.value="";ahead.checked=false;apply();search.focus();});
document.addEventListener("keydown",function(ev){
var t=ev.target;
if(ev.key==="/"&&!/^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)){ev.preventDefault();search.focus();return;}
if(!t.classList||!t.classList.contains("card")){return;}
var step={ArrowDown:1,ArrowRight:1,ArrowUp:-1,ArrowLeft:-1}[ev.key];if(!step){return;}
var visible=cards.filter(function(c){return !c.parentNode.hidden&&!c.closest("[hidden]");});
var next=visible[visible.indexOf(t)+step];if(next){ev.preventDefault();next.focus();}});
window.addEventListener("beforeprint",function(){
Array.prototype.forEach.call(document.querySelectorAll("details"),function(d){d.open=true;});});
form.hidden=false;apply();
})();
"""
