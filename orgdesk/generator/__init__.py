"""Synthetic identity-store data at scale (`orgdesk generate`)."""

from orgdesk.generator.plan import GenerateError, Plan
from orgdesk.generator.run import generate

__all__ = ["GenerateError", "Plan", "generate"]
