"""Imagine as a Workflow Builder custom step ("Generate images"): its inputs and outputs as the
manifest declares them (:mod:`bot.workflow.inputs`, :mod:`bot.workflow.outputs`) and the steps
this process is running (:mod:`bot.workflow.running`).

Source: platform.md, "Workflow Builder steps"; Slack's ``function_executed`` event reference;
bolt-python ``AsyncApp.function`` and ``tests/scenario_tests_async/test_function.py``.
"""

CALLBACK_ID = "generate_images"
