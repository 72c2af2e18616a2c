"""Submitting the Imagine modal: invalid input is refused next to its field
(``response_action: errors``); valid input closes the modal and becomes a job."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.edits import attached
from bot.errors import UserInputError
from bot.jobs import Destination, Job, Source
from bot.listeners.common import ack_blocks, enqueue, services_of, settings_of
from bot.modal import PROMPT, field_errors, leaves_images_out, read_submission
from bot.payloads import ModalContext
from bot.request import build_request

SOURCES: dict[str, Source] = {"slide": "shortcut:slide", "brand": "shortcut:brand"}


async def submit_imagine_modal(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Validate the submission and start the job, or show errors inside the modal."""
    services = services_of(context)
    settings = await settings_of(services, context)
    modal = ModalContext.load(str(view.get("private_metadata") or ""))
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
    if modal is None or modal.preset not in ("general", "slide", "brand") or not user_id:
        await ack(response_action="errors", errors={PROMPT: messages.MALFORMED_REQUEST})
        return
    values = (view.get("state") or {}).get("values") or {}
    try:
        prompt, options = read_submission(values, max_images=settings.max_images)
        request = build_request(prompt, options, settings, preset=modal.preset)  # type: ignore[arg-type]
    except UserInputError as exc:
        await ack(response_action="errors", errors=field_errors(exc))
        return
    inputs, files = None, ()
    if modal.files and not leaves_images_out(values):
        files = tuple(modal.files)
        inputs = attached(client, [{"id": file_id} for file_id in files], settings)
    job = Job(
        request=request,
        destination=Destination(
            team_id=team_id,
            enterprise_id=context.enterprise_id,
            channel_id=modal.channel_id,
            user_id=user_id,
            thread_ts=modal.thread_ts,
            response_url=modal.response_url,
            source_ts=modal.source_ts,
        ),
        source=SOURCES.get(modal.preset, "modal"),
        inputs=inputs,
        input_files=files,
    )
    position, text = await enqueue(services, job, settings)
    if position is None:
        await ack(response_action="errors", errors={PROMPT: text})
        return
    await ack()
    if position > 0:  # it started: the hourglass reaction says so
        await notify(client, job.destination, text, ack_blocks(job, position, text))
