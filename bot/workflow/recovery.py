"""Failing the workflow steps a crash or restart cut short.

A step whose process died never called ``functions.completeSuccess`` or ``completeError``, so
its workflow would hang. At the next start the store hands over each such step once
(:meth:`bot.store.workflow_steps.WorkflowSteps.claim_interrupted`) and it is failed with a
message that says so, using the execution token kept for it. The token may have expired by then
(or the step may already have been ended): Slack's refusal is logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.services import Services
from bot.store.workflow_steps import InterruptedStep

log = logging.getLogger(__name__)


async def fail_interrupted_steps(services: Services) -> int:
    """``functions.completeError`` for every step a dead process left running; returns how
    many Slack accepted."""
    steps = await services.store.workflow_steps.claim_interrupted()
    results = await asyncio.gather(*(_fail(services.slack, step) for step in steps))
    if steps:
        log.info("failed %d of %d interrupted workflow steps", sum(results), len(steps))
    return sum(results)


async def _fail(bot_client: AsyncWebClient, step: InterruptedStep) -> bool:
    if not step.token:
        log.warning("interrupted workflow step %s has no execution token", step.execution_id)
        return False
    client = AsyncWebClient(
        token=step.token,
        base_url=bot_client.base_url,
        timeout=bot_client.timeout,
        session=bot_client.session,
        retry_handlers=bot_client.retry_handlers,
    )
    try:
        await client.functions_completeError(
            function_execution_id=step.execution_id, error=messages.STEP_INTERRUPTED
        )
    except SlackApiError as exc:
        log.warning(
            "could not fail interrupted workflow step %s: %s",
            step.execution_id,
            exc.response.get("error"),
        )
        return False
    return True
