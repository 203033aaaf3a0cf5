# relman: one static binary, non-root, the database on a volume.
#   docker build -t relman .
#   docker run -p 3000:3000 -v relman-data:/data --env-file relman.env relman
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# time/tzdata is embedded by main.go, so zones work in a scratch image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/relman . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/relman /relman
COPY --from=build --chown=65532:65532 /out/data /data
ENV RELMAN_DB=/data/relman.db \
    RELMAN_ADDR=:3000
VOLUME /data
EXPOSE 3000
USER 65532:65532
ENTRYPOINT ["/relman"]
CMD ["serve"]
