"""The aiohttp server: ``POST /slack/events`` (commands, interactivity and events),
``GET /healthz`` and ``GET /metrics`` (Prometheus, :mod:`bot.metrics`); in OAuth mode also
``GET /slack/install`` ("Add to Slack") and ``GET /slack/oauth_redirect`` (Bolt's OAuth flow);
and :func:`serve`, which runs the app until SIGTERM and shuts down gracefully.

Requests are read and checked before Bolt sees them, so that bad input gets a 4xx and never a
5xx: a body over ``MAX_BODY_BYTES`` gets 413, invalid UTF-8 or an unreadable payload 400; Bolt
then verifies the signature (401) and dispatches.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import signal
from urllib.parse import parse_qs

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.cancel_requests import watch_cancel_requests
from bot.errors import ConfigError
from bot.listeners import answer_at_ack
from bot.monitor import LoopLagMonitor
from bot.openai.model_check import check_models
from bot.recovery import tell_interrupted_at_start
from bot.resume import hand_over, resume_loop, resume_orphans
from bot.services import Services, open_services
from bot.settings import Settings
from bot.tasks import cancel_and_wait
from bot.workflow.recovery import fail_interrupted_steps

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
LISTEN_BACKLOG = 2048
STEP_REPORT_S = 5.0
# How long listeners still at work after their ack may go on once requests stop coming in.
LISTENER_DRAIN_S = 5.0
SERVICES_APP_KEY: web.AppKey[Services] = web.AppKey("services", Services)
MONITOR_APP_KEY: web.AppKey[LoopLagMonitor] = web.AppKey("loop_lag", LoopLagMonitor)
BOLT_APP_KEY: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=400)


def _readable_payload(body: str, content_type: str) -> bool:
    """True when ``body`` is a JSON object or a form whose ``payload`` (if any) is one."""
    try:
        if content_type == "application/json" or body.lstrip().startswith("{"):
            return isinstance(json.loads(body), dict)
        if "payload=" not in body:  # a slash command: Bolt parses the form itself
            return True
        payload = parse_qs(body).get("payload")
        return payload is None or isinstance(json.loads(payload[0]), dict)
    except (ValueError, RecursionError):
        return False


async def slack_events(request: web.Request) -> web.StreamResponse:
    """``POST /slack/events``: check the body, then let Bolt verify and dispatch it."""
    bolt: AsyncApp = request.app[BOLT_APP_KEY]
    raw = await request.read()  # raises 413 past client_max_size
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _bad_request("invalid_utf8")
    if not _readable_payload(body, request.content_type):
        return _bad_request("invalid_payload")
    try:
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
    except (ValueError, TypeError, AttributeError, KeyError):
        return _bad_request("invalid_payload")
    bolt_response = await bolt.async_dispatch(bolt_request)
    if bolt_response.status == 404 and bolt_request.body.get("type") == "event_callback":
        # An event type this app does not act on: acknowledge it so Slack does not retry.
        return web.Response(status=200)
    return await to_aiohttp_response(bolt_response)


async def oauth_page(request: web.Request) -> web.StreamResponse:
    """``GET /slack/install`` and ``GET /slack/oauth_redirect``: Bolt's OAuth flow (OAuth mode).
    Every outcome is an HTML page (:mod:`bot.oauth.pages`)."""
    bolt: AsyncApp = request.app[BOLT_APP_KEY]
    flow = bolt.oauth_flow
    assert flow is not None  # the routes exist only in OAuth mode
    bolt_request = AsyncBoltRequest(
        body="",
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    if request.path == flow.install_path:
        bolt_response = await flow.handle_installation(bolt_request)
    else:
        bolt_response = await flow.handle_callback(bolt_request)
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: 200 while taking work, 503 once shutdown began. The JSON body gives
    jobs running and waiting, and the event loop's worst lag in milliseconds."""
    services = request.app[SERVICES_APP_KEY]
    monitor = request.app[MONITOR_APP_KEY]
    status = {
        "status": "ok" if services.jobs.accepting else "stopping",
        "running": services.jobs.running,
        "waiting": services.jobs.waiting,
        "loop_lag_max_ms": round(monitor.max_lag_s * 1000, 1),
    }
    return web.json_response(status, status=200 if services.jobs.accepting else 503)


def create_web_app(
    bolt: AsyncApp,
    services: Services,
    *,
    with_events: bool = True,
    monitor: LoopLagMonitor | None = None,
) -> web.Application:
    """The aiohttp application: ``/healthz``, ``/metrics`` (Prometheus text format, from
    ``services.metrics``), unless ``with_events=False`` (Socket Mode) ``/slack/events``, and the
    OAuth pages whenever the app has an OAuth flow."""
    web_app = web.Application(client_max_size=services.settings.max_body_bytes)
    web_app[SERVICES_APP_KEY] = services
    web_app[MONITOR_APP_KEY] = monitor or LoopLagMonitor()
    web_app[BOLT_APP_KEY] = bolt
    web_app.router.add_get(HEALTH_PATH, healthz)
    web_app.router.add_get(METRICS_PATH, make_aiohttp_handler(services.metrics.registry))
    if with_events:
        web_app.router.add_post(EVENTS_PATH, slack_events)
    if bolt.oauth_flow is not None:
        web_app.router.add_get(bolt.oauth_flow.install_path, oauth_page)
        web_app.router.add_get(bolt.oauth_flow.redirect_uri_path, oauth_page)
    return web_app


async def check_slack_token(services: Services) -> None:
    """Call ``auth.test`` once at start. Raises :class:`ConfigError` when Slack rejects the bot
    token; a Slack that cannot be reached is logged and the app starts anyway. OAuth mode has no
    token of its own to check (each workspace's is checked on its requests)."""
    if services.settings.oauth:
        return
    try:
        identity = await services.slack.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in ("invalid_auth", "not_authed", "account_inactive", "token_revoked"):
            raise ConfigError([f"SLACK_BOT_TOKEN was rejected by Slack ({error})."]) from None
        log.warning("auth.test failed (%s); starting anyway", error)
        return
    except (TimeoutError, OSError) as exc:
        log.warning("Slack is unreachable at start (%s); starting anyway", type(exc).__name__)
        return
    log.info(
        "connected to Slack team=%s as bot user=%s", identity.get("team"), identity.get("user_id")
    )


async def serve(settings: Settings) -> None:
    """Run Imagine until SIGTERM or SIGINT: HTTP on ``$PORT``, or Socket Mode (with
    ``/healthz`` still on ``$PORT``) when ``SLACK_APP_TOKEN`` is set. On the signal: stop taking
    work, let running jobs finish within ``SHUTDOWN_GRACE_S``, tell the owners of the rest.

    Raises :class:`ConfigError` when Slack rejects the bot token, or OpenAI the API key or the
    model (:func:`bot.openai.model_check.check_models`, before anything else is opened).
    """
    stop = asyncio.Event()  # a signal during start-up is honoured once the app is up
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    model_notices = await check_models(settings)
    services = await open_services(settings)
    services.model_notices = model_notices
    bolt = create_app(services)
    await check_slack_token(services)
    await resume_orphans(services)  # first: what can resume moves to this process
    await tell_interrupted_at_start(services)
    await fail_interrupted_steps(services)
    # What start-up made (modules, the app, its clients) lives as long as the process: move it
    # out of the collector's sight (gc.freeze, Python's docs) so that a full collection during
    # a burst walks only what requests made: without it, one took ~80 ms of a 500-command burst.
    gc.collect()
    gc.freeze()
    monitor = LoopLagMonitor()
    monitor.start()
    runner = web.AppRunner(
        create_web_app(bolt, services, with_events=not settings.socket_mode, monitor=monitor),
        handle_signals=False,
        access_log=None,
    )
    await runner.setup()
    # A deep accept backlog: a burst of slash commands must not wait for SYN retransmits.
    await web.TCPSite(runner, host="0.0.0.0", port=settings.port, backlog=LISTEN_BACKLOG).start()  # noqa: S104
    socket_handler: AsyncSocketModeHandler | None = None
    if settings.slack_app_token is not None:
        socket_handler = AsyncSocketModeHandler(
            bolt, settings.slack_app_token.get_secret_value(), web_client=services.slack
        )
        await socket_handler.connect_async()
        log.info("Imagine is connected over Socket Mode; /healthz on port %d", settings.port)
    else:
        log.info("Imagine is listening on port %d (POST %s)", settings.port, EVENTS_PATH)
    if bolt.oauth_flow is not None:
        log.info("OAuth mode: Add to Slack at GET %s", bolt.oauth_flow.install_path)
    resuming = asyncio.create_task(resume_loop(services), name="imagine-resume")
    cancelling = asyncio.create_task(watch_cancel_requests(services), name="imagine-cancels")
    await stop.wait()

    log.info("shutting down: %d running, %d waiting", services.jobs.running, services.jobs.waiting)
    await cancel_and_wait(resuming)
    await cancel_and_wait(cancelling)
    # no new OpenAI call during the grace: one cut off at its end would be billed, then run
    # again after the restart; jobs waiting for capacity stay in the journal and resume
    services.pacer.stop()
    unfinished = await services.jobs.shutdown(settings.shutdown_grace_s)
    await hand_over(services, unfinished)
    await services.steps.drain(STEP_REPORT_S)  # workflow steps report their end to Slack
    if socket_handler is not None:
        await socket_handler.close_async()
    await runner.cleanup()
    await answer_at_ack.drain(LISTENER_DRAIN_S)
    await monitor.stop()
    await services.aclose()
    log.info("stopped (%d jobs could not finish)", len(unfinished))
