"""praisonai_platform: a self-hostable platform where people and AI agents track and do work."""

__version__ = "0.2.0"
