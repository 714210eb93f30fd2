# Build: docker build -t tongdai .   (docker-compose.yml does this for you)
FROM rust:1.95-bookworm AS build
WORKDIR /src
# libpq and SQLite are built from source by their crates; OpenSSL comes from the system.
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev pkg-config && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked --bin tongdai

FROM debian:bookworm-slim
# postgresql-client: pg_dump and pg_restore (15) for `tongdai backup` on PostgreSQL.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 curl postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10022 --home-dir /var/lib/tongdai tongdai \
    && mkdir -p /var/lib/tongdai/data /var/lib/tongdai/backups && chown -R tongdai /var/lib/tongdai
COPY --from=build /src/target/release/tongdai /usr/local/bin/tongdai
COPY config /etc/tongdai/config
WORKDIR /var/lib/tongdai
USER tongdai
ENV TONGDAI_SERVER__BIND=0.0.0.0:8080 \
    TONGDAI_DATA__DIR=/var/lib/tongdai/data \
    TONGDAI_JURISDICTION__DIR=/etc/tongdai/config/jurisdiction \
    TONGDAI_CALENDAR__DIR=/etc/tongdai/config/calendar \
    TONGDAI_MAIL__AGENCY_CONTACTS=/etc/tongdai/config/agency-contacts.toml \
    TONGDAI_MAIL__INTAKE__KEYWORDS_FILE=/etc/tongdai/config/mail/keywords.toml \
    TONGDAI_LOG__FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
STOPSIGNAL SIGTERM
CMD ["tongdai", "serve"]
