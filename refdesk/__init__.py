"""RefDesk core: domain, lifecycle, storage, services and CLI. Never imports Qt."""

__version__ = "0.1.0"
APP_NAME = "RefDesk"
