"""LocalStack 4.14.0 on this machine without Docker: the `localstack` stack's S3, IAM, STS and Logs.

- `toolchain`: a Python 3.13 to run it (PATH, pyenv, uv), or a message saying where we looked.
- `install`: the one-time install from localstack/host/requirements.txt into .venv-localstack/.
- `server`: the process, started with docker-compose.yml's settings for its `localstack` service and
  its ready hooks, on 127.0.0.1 only, stopped with everything it started.

`python -m awstwin.stack.localstack_host install|serve|python` does each by hand.
"""
