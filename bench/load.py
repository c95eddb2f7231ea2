"""Benchmark: many readers at once (issue 15), with wrk against the README's `dailypapers serve`.

    python bench/load.py [--database-url URL] [--cache-url redis://...] [--seconds 15]
                         [--connections 200] [--signed-in 50] [--writes] [--no-page-cache]
                         [--only SUBSTRING ...] [--gzip] [--clients N]

Needs wrk (`apt-get install -y wrk`). Starts `dailypapers serve` (2 workers x 4 threads) on the demo
in a fresh home (SQLite, or the empty PostgreSQL database --database-url names), waits for the search
indexer it starts beside the workers to finish, then runs `wrk -t2 -c200 -d15s --latency` on each
address in turn, a static file first and last (the baseline: the same server's whitenoise, in the same
run), each once the server has no work left from the one before (search's queue takes a second or two
to drain). Prints req/s, p50, p99, errors (non-2xx/3xx answers, socket errors) and wrk's timeouts (2 s),
and each address's req/s as a share of the baseline (the mean of the two static runs).

API reads are limited per client address (DAILYPAPERS_API_READ_RATE, 300/m); wrk is one address, so
the limit is raised to 100,000,000/m here (--api-rate): every read is still counted, none refused;
`--api-rate 0/m` turns it off. --cache-url sets DAILYPAPERS_CACHE_URL: the page cache and the limits'
counts in that Redis (give it a database number of its own).

--signed-in N: N members sign in; wrk rotates their session cookies (a Lua script) on the day feed;
each member voted on a paper of their own first, and every member's page is checked to mark theirs.
--writes: 50 of those members (threads here) vote, unvote and comment on the home page's papers while
wrk reads the home page, then again while it reads a day none of them is on; afterwards every paper's
count must equal its vote rows and what the answers said (no 5xx). Comments per member per hour are
raised for it (DAILYPAPERS_COMMENTS_PER_HOUR).
--no-page-cache: DAILYPAPERS_PAGE_CACHE_SECONDS=0, the figures before the page cache.
--clients N: the anonymous requests come from N client addresses in turn (X-Forwarded-For, which the
site is told to trust, as behind a proxy), as N real readers would: each has its own count under
the API's limit. By default all of wrk's connections are one address, counting on one row.
--gzip: then the shared answers (API, RSS) again, and the static file as their baseline, all sent
with `Accept-Encoding: gzip` (as browsers, requests and httpx send it; plain wrk sends none): the
site keeps those answers compressed too, and whitenoise its static files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PASSWORD = "a long and unusual passphrase for the bench"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
GZIP = "Accept-Encoding: gzip"  # as browsers, requests and httpx send it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    def __init__(self, database_url: str | None, page_cache: bool, extra_env: dict[str, str]) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="dailypapers-load-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DAILYPAPERS_DEBUG"}}
        self.env.update(
            DAILYPAPERS_HOME=str(self.home),
            DJANGO_SETTINGS_MODULE="dailypapers.settings",
            **extra_env,
        )
        if not page_cache:
            self.env["DAILYPAPERS_PAGE_CACHE_SECONDS"] = "0"
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.log = open(self.home / "serve.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "serve", "--port", str(self.port), "--workers", "2"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )

    def wait(self) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit("the server exited:\n" + (self.home / "serve.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/", timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        # The demo's papers are embedded by a `dailypapers index` beside the server: measure after it.
        while time.monotonic() < deadline and self._indexer_running():
            time.sleep(1)

    def _indexer_running(self) -> bool:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            # The follower `serve` starts beside the workers on PostgreSQL never ends: not waited for.
            if (
                b"index" in cmdline
                and b"--follow" not in cmdline
                and f"DAILYPAPERS_HOME={self.home}".encode() in environ
            ):
                return True
        return False

    def settle(self, path: str) -> None:
        """Wait until the server has no work left from the run before (search's queue drains for a
        second or two after wrk stops): three quick answers in a row, or 20 s at most. Otherwise the
        next address is measured with that backlog."""
        quick, deadline = 0, time.monotonic() + 20
        while quick < 3 and time.monotonic() < deadline:
            started = time.monotonic()
            urllib.request.urlopen(self.url + path, timeout=30).read()
            quick = quick + 1 if time.monotonic() - started < 0.02 else 0
            time.sleep(0.1)

    def command(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dailypapers", *args], env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            sys.exit(f"dailypapers {args[0]} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


def wrk(
    url: str, seconds: int, connections: int, script: str | None = None, header: str | None = None
) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "2s"]
    if script:
        args += ["-s", script]
    if header:  # (wrk.format in a script keeps the -H headers: both may be given)
        args += ["-H", header]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", out).groups()
        result[f"p{pct}"] = float(value) * UNITS[unit]
    sockets = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["timeouts"] = int(sockets.group(4)) if sockets else 0
    result["errors"] = (int(non_2xx.group(1)) if non_2xx else 0) + (
        sum(int(sockets.group(i)) for i in (1, 2, 3)) if sockets else 0
    )
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


def row(name: str, r: dict[str, float], baseline: float | None) -> str:
    share = f"{r['rps'] / baseline:5.0%}" if baseline else "   - "
    return (
        f"| {name} | {r['rps']:,.0f} | {share} | {r['p50']:.0f} ms | {r['p99']:.0f} ms "
        f"| {r['errors']:,} | {r['timeouts']:,} |"
    )


class Member:
    """A signed-in browser: its session and CSRF cookies."""

    def __init__(self, base: str, name: str) -> None:
        self.base, self.name = base, name
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        # Writes are measured alone: the page a plain form's redirect leads to is a read.
        self.writer = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        page = self.open("/accounts/login")[1]
        self.open(
            "/accounts/login", {"username": name, "password": PASSWORD, "csrfmiddlewaretoken": token(page)}
        )
        self.token = token(self.open("/")[1])

    def open(self, path: str, data: dict[str, str] | None = None, htmx: bool = False) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.base + "/", **({"HX-Request": "true"} if htmx else {})}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        opener = self.writer if data is not None and not path.startswith("/accounts/") else self.opener
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def vote(self, arxiv_id: str, on: bool) -> int:
        """As a browser with JavaScript votes: htmx, answered with the new button."""
        data = {"on": "1" if on else "0", "csrfmiddlewaretoken": self.token}
        return self.open(f"/papers/{arxiv_id}/upvote", data, htmx=True)[0]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def make_members(site: Site, count: int) -> list[Member]:
    site.command(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from dailypapers.accounts.models import Profile\n"
        f"for i in range({count}):\n"
        f"    name = f'reader{{i}}'\n"
        f"    u = get_user_model().objects.create_user(name, name + '@example.org', {PASSWORD!r})\n"
        "    Profile.objects.create(user=u, email_verified=True)\n",
    )
    return [Member(site.url, f"reader{i}") for i in range(count)]


def lua_script(text: str) -> str:
    """A wrk script in a temporary file (the caller removes it)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(text)
    return str(script)


def cookie_script(members: list[Member], path: str) -> str:
    cookies = ",\n".join(json.dumps(m.cookie_header()) for m in members)
    return lua_script(
        f"local cookies = {{\n{cookies}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        f'  return wrk.format("GET", {json.dumps(path)}, {{["Cookie"] = cookies[(i % #cookies) + 1]}})\n'
        "end\n"
    )


def clients_script(count: int) -> str:
    """A wrk script whose requests come from `count` addresses in turn, as a proxy names them."""
    return lua_script(
        f"local n = {count}\nlocal requests = {{}}\nlocal i = 0\n"
        "init = function(args)\n"
        "  for k = 1, n do\n"
        '    local address = "10." .. math.floor(k / 65536) .. "." .. (math.floor(k / 256) % 256)\n'
        '      .. "." .. (k % 256)\n'
        '    requests[k] = wrk.format(nil, nil, {["X-Forwarded-For"] = address})\n'
        "  end\nend\n"
        "request = function()\n  i = i % n + 1\n  return requests[i]\nend\n"
    )


DUE = (
    "from dailypapers.recommend.models import Taste\n"
    "from dailypapers.recommend.ranking import is_due\n"
    "print(sum(is_due(t) for t in Taste.objects.all()))"
)


def settle_recommend(site: Site, limit: float = 120) -> None:
    """Wait (at most `limit` seconds) until no member's taste is due for retraining."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and int(site.command("shell", "-c", DUE).split()[-1]):
        time.sleep(1)


def signed_in_run(site: Site, members: list[Member], papers: list[str], feed: str, args) -> dict[str, float]:
    # Each member votes for one paper of the feed; then each must see theirs marked, and no other.
    for i, member in enumerate(members):
        assert member.vote(papers[i % len(papers)], True) == 200
    script = cookie_script(members, feed)
    # Before the clock starts, as for the anonymous pages: the recommend worker has retrained the
    # members their votes made due (background work, not readers'), and every member's copy of the
    # page is made in both processes (about 100 renders), warmed until the rate stops climbing.
    settle_recommend(site)
    rates = [wrk(site.url + feed, 4, 50, script)["rps"]]
    while len(rates) < 6 and (len(rates) < 2 or rates[-1] > 1.2 * rates[-2]):
        rates.append(wrk(site.url + feed, 4, 50, script)["rps"])
    print(f"signed-in warm-up: {', '.join(f'{r:,.0f}' for r in rates)} req/s", flush=True)
    result = wrk(site.url + feed, args.seconds, args.connections, script)
    os.unlink(script)
    for i, member in enumerate(members):
        page = member.open(feed)[1]
        marked = set(
            re.findall(r'action="/papers/([^"]+)/upvote".{0,1500}?aria-pressed="true"', page, re.DOTALL)
        )
        assert marked == {papers[i % len(papers)]}, (member.name, marked)
    for i, member in enumerate(members):  # back as they were
        member.vote(papers[i % len(papers)], False)
    return result


class Writes:
    """What the members' writes did, over every write run: checked against the database at the end."""

    def __init__(self) -> None:
        self.statuses: dict[int, int] = {}
        self.voted: dict[tuple[str, str], bool] = {}
        self.comments: dict[str, int] = {}
        self.seconds = 0


def write_mix(
    site: Site, members: list[Member], papers: list[str], args, page: str, done: Writes
) -> dict[str, float]:
    """Members vote, unvote and comment on the home page's papers for the whole run while wrk reads
    `page`."""
    stop = time.monotonic() + args.seconds
    statuses, voted, comments = done.statuses, done.voted, done.comments
    done.seconds += args.seconds
    lock = threading.Lock()

    def writer(member: Member, n: int) -> None:
        step = 0
        while time.monotonic() < stop:
            paper = papers[(n + step) % len(papers)]
            if step % 4 == 3:
                status = member.open(
                    f"/papers/{paper}/comments",
                    {"body": f"Note {step} from {member.name}", "csrfmiddlewaretoken": member.token},
                )[0]
                counted = status in (200, 302)  # a plain form's answer: back to the page
                with lock:
                    comments[paper] = comments.get(paper, 0) + counted
            else:
                on = not voted.get((member.name, paper), False)
                status = member.vote(paper, on)
                if status == 200:
                    voted[(member.name, paper)] = on
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
            step += 1

    threads = [threading.Thread(target=writer, args=(m, n)) for n, m in enumerate(members[:50])]
    for t in threads:
        t.start()
    reads = wrk(site.url + page, args.seconds, args.connections)
    for t in threads:
        t.join()
    return reads


def check_writes(site: Site, papers: list[str], done: Writes, writers: int) -> str:
    statuses, voted, comments = done.statuses, done.voted, done.comments
    counts = json.loads(
        site.command(
            "shell",
            "-c",
            "import json\nfrom dailypapers.papers.models import Paper\n"
            "from dailypapers.community.models import Upvote, Comment\n"
            f"ids = {papers!r}\n"
            "print(json.dumps({p.arxiv_id: [p.upvote_count, Upvote.objects.filter(paper=p).count(), "
            "Comment.objects.filter(paper=p).count()] for p in Paper.objects.filter(arxiv_id__in=ids)}))",
        )
        .strip()
        .splitlines()[-1]
    )
    expected_votes = {p: sum(1 for (_, q), on in voted.items() if q == p and on) for p in papers}
    exact = all(
        counts[p][0] == counts[p][1] == expected_votes[p] and counts[p][2] == comments.get(p, 0)
        for p in papers
    )
    writes = sum(statuses.values())
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    summary = (
        f"{writes:,} writes ({writes / done.seconds:,.0f}/s) by {writers} members: "
        f"statuses {dict(sorted(statuses.items()))}; "
        f"5xx: {server_errors}; counts exact afterwards: {'yes' if exact else 'NO'}"
    )
    if not exact:
        summary += f"\n  database {counts}\n  expected votes {expected_votes}, comments {comments}"
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--cache-url", default="", help="DAILYPAPERS_CACHE_URL: a Redis (default: none)")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument(
        "--signed-in", type=int, default=0, metavar="N", help="also a run of N signed-in members"
    )
    parser.add_argument(
        "--writes", action="store_true", help="also a write mix (needs --signed-in 50 or more)"
    )
    parser.add_argument("--no-page-cache", action="store_true", help="DAILYPAPERS_PAGE_CACHE_SECONDS=0")
    parser.add_argument(
        "--api-rate",
        default="100000000/m",
        help="DAILYPAPERS_API_READ_RATE: raised so that one address is never refused (every read is "
        "still counted); 0/m: no limit",
    )
    parser.add_argument("--only", nargs="*", default=[], help="only addresses holding one of these")
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="anonymous requests come from this many client addresses in turn (X-Forwarded-For, "
        "trusted as behind a proxy); default: wrk's one address",
    )
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="then the shared answers (API, RSS) again, with the static file as their baseline, sending "
        "Accept-Encoding: gzip as browsers and HTTP clients do",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/load.py needs wrk: apt-get install -y wrk")
    extra = {"DAILYPAPERS_API_READ_RATE": args.api_rate, "DAILYPAPERS_CACHE_URL": args.cache_url}
    if args.clients:
        extra["DAILYPAPERS_CLIENT_IP_HEADER"] = "HTTP_X_FORWARDED_FOR"
    if args.writes:
        extra["DAILYPAPERS_COMMENTS_PER_HOUR"] = "100000"
    site = Site(args.database_url, page_cache=not args.no_page_cache, extra_env=extra)
    try:
        site.wait()
        home = urllib.request.urlopen(site.url + "/", timeout=30).read().decode()
        css = re.search(r'href="(/static/dailypapers/style[^"]*\.css)"', home).group(1)
        day = dt.date.fromisoformat(re.search(r'rel="canonical" href="/papers/date/([\d-]+)"', home).group(1))
        papers = list(dict.fromkeys(re.findall(r'action="/papers/([^"/]+)/upvote"', home)))
        year, week, _ = day.isocalendar()
        urls = [
            "/",
            f"/papers/date/{day}",
            f"/papers/week/{year}-W{week:02d}",
            f"/papers/month/{day:%Y-%m}",
            f"/papers/{papers[0]}",
            "/papers/search?q=diffusion+models",
            "/api/daily_papers?limit=50",
            f"/api/papers/{papers[0]}",
            "/feeds/daily.rss",
        ]
        urls = [u for u in urls if not args.only or any(o in u for o in args.only)]
        for url in urls:  # both processes keep their copies before the clock starts
            wrk(site.url + url, 2, 20)
        stores = ("PostgreSQL" if args.database_url else "SQLite") + (" + Redis" if args.cache_url else "")
        print(
            f"{stores}, page cache "
            f"{'off' if args.no_page_cache else 'on'}, API read rate {args.api_rate}: "
            f"wrk -t2 -c{args.connections} -d{args.seconds}s, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        clients = clients_script(args.clients) if args.clients else None
        first = wrk(site.url + css, args.seconds, args.connections, clients)
        results = []
        for url in urls:
            site.settle(css)
            results.append((url, wrk(site.url + url, args.seconds, args.connections, clients)))
        site.settle(css)
        last = wrk(site.url + css, args.seconds, args.connections, clients)
        baseline = (first["rps"] + last["rps"]) / 2
        packed = []
        if args.gzip:
            shared = [u for u in urls if u.startswith(("/api/", "/feeds/"))]
            for url in [css, *shared, css]:
                site.settle(css)
                packed.append((url, wrk(site.url + url, args.seconds, args.connections, clients, GZIP)))
        if clients:
            os.unlink(clients)
        signed_in = None
        members = []
        if args.signed_in:
            site.settle(css)
            members = make_members(site, max(args.signed_in, 50 if args.writes else 0))
            feed = f"/papers/date/{day}"
            signed_in = (
                f"{feed} signed in ({len(members)} members)",
                signed_in_run(site, members, papers, feed, args),
            )
        mix = []
        if args.writes and members:
            # The home page, whose papers they vote on, and a day none of them is listed on.
            other_day = next(d for d in re.findall(r'href="/papers/date/([\d-]+)"', home) if d != str(day))
            done = Writes()
            for page in ("/", f"/papers/date/{other_day}"):
                site.settle(css)
                mix.append((page, write_mix(site, members, papers, args, page, done)))
            summary = check_writes(site, papers, done, min(len(members), 50))
        print("| URL | req/s | of baseline | p50 | p99 | errors | timeouts |")
        print("|---|---|---|---|---|---|---|")
        print(row(f"{css} (baseline, first)", first, None))
        for url, r in results:
            print(row(url, r, baseline))
        if signed_in:
            print(row(signed_in[0], signed_in[1], baseline))
        for page, reads in mix:
            print(row(f"{page} while 50 members write", reads, baseline))
        print(row(f"{css} (baseline, last)", last, None))
        if packed:
            packed_baseline = (packed[0][1]["rps"] + packed[-1][1]["rps"]) / 2
            print(row(f"{css} (gzip baseline, first)", packed[0][1], None))
            for url, r in packed[1:-1]:
                print(row(f"{url} (gzip)", r, packed_baseline))
            print(row(f"{css} (gzip baseline, last)", packed[-1][1], None))
        if mix:
            print(summary)
    finally:
        site.stop()


if __name__ == "__main__":
    main()
