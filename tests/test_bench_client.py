"""The benchmark's load generator (``bench.client``): it writes each request on its own
connection, reads an answer up to the end of its body as Slack reads an ack (Content-Length,
chunked, or to the end of the connection), and reports failures instead of raising."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bench.client import _fire, _parse_response


def test_parse_response_reads_status_and_body() -> None:
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"text":"ok"}'
    assert _parse_response(answer) == (200, b'{"text":"ok"}')
    chunked = (
        b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert _parse_response(chunked) == (404, b"abcde")
    assert _parse_response(b"garbage") == (0, b"")


async def test_fire_posts_each_body_and_measures_each_answer() -> None:
    seen: list[tuple[str, str]] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append((await request.text(), request.headers["X-Test"]))
        if request.headers["X-Test"] == "slow":
            await asyncio.sleep(0.2)
        if request.headers["X-Test"] == "stream":  # chunked, no Content-Length
            response = web.StreamResponse()
            await response.prepare(request)
            await response.write(b'{"text": "Generating')
            await response.write(b' 1 image"}')
            await response.write_eof()
            return response
        return web.json_response({"text": f"Generating for {await request.text()}"})

    app = web.Application()
    app.router.add_post("/slack/events", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        requests = [("a=1", {"X-Test": "fast"}), ("b=2", {"X-Test": "slow"}),
                    ("c=3", {"X-Test": "stream"})]  # fmt: skip
        _, acks = await _fire(url, requests)
        _, refused = await _fire("http://127.0.0.1:1/slack/events", [("d=4", {"X-Test": "x"})])
    finally:
        await runner.cleanup()
    assert sorted(seen) == [("a=1", "fast"), ("b=2", "slow"), ("c=3", "stream")]
    fast, slow, stream = acks
    assert fast.status == 200 and fast.text == "Generating for a=1" and fast.accepted
    assert slow.latency_s >= 0.2 > fast.latency_s
    assert stream.status == 200 and stream.text == "Generating 1 image"
    assert refused[0].status == 0 and refused[0].error and not refused[0].accepted
