"""kefu (客服): a complaint and after-sales case desk for the terminal."""

__version__ = "0.1.0"
