# The awstwin image for the compose stack (docker-compose.yml), in two targets built from one stage:
#
#   emulator (the default, last stage): the local AWS endpoint. Glue (crawlers, catalog, Spark jobs) and
#       Athena (DuckDB) answered by our code on port 4566, S3 and CloudWatch Logs taken from LocalStack
#       (AWSTWIN_EXTERNAL_S3_URL / AWSTWIN_EXTERNAL_LOGS_URL), state in /state.
#   airflow: Airflow 3 with exactly the providers in uv.lock (amazon, common-sql, postgres), so the DAG
#       runs in compose against the versions `make test` runs it against.
#
#   docker build -t awstwin-emulator .
#   docker build --target airflow -t awstwin-airflow .
#
# Pins: the base image by tag and digest; every Python package by uv.lock (`uv sync --locked`); uv,
# hadoop-aws and the AWS SDK bundle by version (ARGs below), the jars checked against Maven Central's
# SHA-1 and the SDK version against hadoop-aws's own POM. Debian packages (Java 17) follow the base
# image's Debian release. Building needs PyPI, a Debian mirror and Maven Central; running needs nothing.
# No BuildKit-only syntax (cache mounts, heredocs): the classic builder (docker-py, testcontainers) and
# BuildKit (docker build, Compose) build it alike.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# ---------------------------------------------------------------------------------------------------
# base: Python 3.11 + Java 17 (a JDK: the job runner compiles a small Hadoop FileSystem with javac when
# the endpoint serves S3 itself, as it does when the image runs alone).
FROM ${PYTHON_IMAGE} AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Debian package versions are not pinned: the mirror drops superseded ones, so a pin breaks the build at
# the next security update. The base image's digest fixes the Debian release they come from.
# hadolint ignore=DL3008
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jdk-headless procps \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")" /usr/lib/jvm/java-17 \
    && /usr/lib/jvm/java-17/bin/java -version
ENV JAVA_HOME=/usr/lib/jvm/java-17 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# ---------------------------------------------------------------------------------------------------
# build: the locked environment in /app/.venv, the package (editable, so its paths resolve to /app),
# the s3a jars inside pyspark's own jars folder (on Spark's classpath with no configuration), and the
# Hadoop site file that points s3:// and s3a:// at the external S3 (LocalStack) from the environment.
FROM base AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG UV_VERSION=0.13.9
ARG HADOOP_VERSION=3.5.0
ARG AWS_SDK_VERSION=2.35.4
ARG MAVEN_REPO=https://repo1.maven.org/maven2
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_NO_CACHE=1
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY src ./src
RUN uv sync --locked --no-dev
RUN set -eu; \
    jars=/app/.venv/lib/python3.11/site-packages/pyspark/jars; \
    if [ ! -f "$jars/hadoop-client-api-${HADOOP_VERSION}.jar" ]; then \
        echo "pyspark bundles $(basename "$jars"/hadoop-client-api-*.jar), not Hadoop ${HADOOP_VERSION}:" \
             "build with --build-arg HADOOP_VERSION=<that version> and its AWS_SDK_VERSION" >&2; \
        exit 1; \
    fi; \
    curl -fsSL -o /tmp/hadoop-project.pom \
        "${MAVEN_REPO}/org/apache/hadoop/hadoop-project/${HADOOP_VERSION}/hadoop-project-${HADOOP_VERSION}.pom"; \
    pom_property() { sed -n "s|.*<$1>\([^<]*\)</$1>.*|\1|p" /tmp/hadoop-project.pom | head -n 1; }; \
    sdk="$(pom_property aws-java-sdk-v2.version)"; \
    if [ "$sdk" != "${AWS_SDK_VERSION}" ]; then \
        echo "hadoop-aws ${HADOOP_VERSION} is built against AWS SDK bundle '$sdk', not ${AWS_SDK_VERSION}:" \
             "build with --build-arg AWS_SDK_VERSION=$sdk" >&2; \
        exit 1; \
    fi; \
    paths="org/apache/hadoop/hadoop-aws/${HADOOP_VERSION}/hadoop-aws-${HADOOP_VERSION}.jar"; \
    paths="$paths software/amazon/awssdk/bundle/${AWS_SDK_VERSION}/bundle-${AWS_SDK_VERSION}.jar"; \
    accelerator="$(pom_property amazon-s3-analyticsaccelerator-s3.version)"; \
    if [ -n "$accelerator" ]; then \
        paths="$paths software/amazon/s3/analyticsaccelerator/analyticsaccelerator-s3/$accelerator/analyticsaccelerator-s3-$accelerator.jar"; \
    fi; \
    for path in $paths; do \
        name="$(basename "$path")"; \
        curl -fsSL -o "/tmp/$name" "${MAVEN_REPO}/$path"; \
        echo "$(curl -fsSL "${MAVEN_REPO}/$path.sha1" | cut -c1-40)  /tmp/$name" | sha1sum -c -; \
        mv "/tmp/$name" "$jars/"; \
    done; \
    rm /tmp/hadoop-project.pom; \
    /app/.venv/bin/python -m awstwin.stack.compose hadoop-conf /app/hadoop-conf

# ---------------------------------------------------------------------------------------------------
# runtime: what both targets share; a non-root user owns only the folders that are written to.
FROM base AS runtime
ARG UID=10001
RUN groupadd --system --gid "${UID}" awstwin \
    && useradd --system --uid "${UID}" --gid awstwin --create-home --home-dir /home/awstwin \
        --shell /bin/bash awstwin \
    && mkdir -p /state /opt/airflow/dags /opt/airflow/logs /opt/airflow/auth \
    && chown -R awstwin:awstwin /state /opt/airflow
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:${PATH} \
    VIRTUAL_ENV=/app/.venv \
    AWSTWIN_PROJECT_DIR=/app \
    HADOOP_CONF_DIR=/app/hadoop-conf \
    AIRFLOW_HOME=/opt/airflow
USER ${UID}:${UID}
WORKDIR /home/awstwin

# ---------------------------------------------------------------------------------------------------
# airflow: each compose service gives the command (api-server, scheduler, dag-processor, db migrate)
# and its own healthcheck; DAGs are mounted at /opt/airflow/dags.
FROM runtime AS airflow
WORKDIR /opt/airflow
EXPOSE 8080
CMD ["airflow", "version"]

# ---------------------------------------------------------------------------------------------------
# emulator: the local AWS endpoint on 4566, healthy once /_awstwin/health answers.
FROM runtime AS emulator
EXPOSE 4566
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:4566/_awstwin/health', timeout=4).status != 200)"]
CMD ["python", "-m", "awstwin.endpoint", "--host", "0.0.0.0", "--port", "4566", "--state-dir", "/state"]
