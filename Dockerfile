# The sptflow image that `sptflow emit k8s` jobs run: the static binary, CA
# certificates (for the LLM APIs and object storage) and the project's
# pipelines, prompts and training config in /work, the job's working
# directory and project root. API keys and storage credentials are never
# part of the image: the job gives them as environment variables (from a
# Secret); .dockerignore keeps .env, .sptflow/ and data/ out of the build.
#
#   docker build -t ghcr.io/TEAM/sptflow:TAG .
#   docker run --rm ghcr.io/TEAM/sptflow:TAG sptflow run pipelines/demo.yaml

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The cluster image links the gs:// driver too (TAGS=""  leaves it out).
ARG TAGS=gcs
RUN CGO_ENABLED=0 go build -tags "$TAGS" -trimpath -ldflags="-s -w" -o /out/sptflow ./cmd/sptflow

FROM alpine:3.22
# /bin/sh runs the job's command (it turns the 0-based pod index into the
# shard number); ca-certificates for HTTPS.
RUN apk add --no-cache ca-certificates \
    && adduser -D -u 10001 sptflow
COPY --from=build /out/sptflow /usr/local/bin/sptflow
WORKDIR /work
COPY --chown=sptflow pipelines/ pipelines/
COPY --chown=sptflow prompts/ prompts/
COPY --chown=sptflow config/ config/
# .sptflow marks the project root; the local store lives there. The run
# writes sptflow.lock (and its temporary file) in the project root itself.
RUN mkdir -p .sptflow data && chown sptflow . .sptflow data
USER sptflow
CMD ["sptflow", "help"]
