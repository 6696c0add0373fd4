#!/usr/bin/env bash
# System packages the project needs beyond Python wheels, from Debian's archive:
#   tesseract-ocr, tesseract-ocr-vie  OCR of scanned reports (Vietnamese model)
#   fonts-dejavu-core                 a font with Vietnamese glyphs (test PDFs and images)
#   chromium                          headless browser for the dashboard test
#   openjdk-17-jre-headless           Java 17 for Spark (dbt-spark `session` target, tests)
# Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
if ! tesseract --list-langs 2>/dev/null | grep -qx vie; then missing+=(tesseract-ocr-vie); fi
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Spark 4 needs Java 17 or newer: `java -version` prints e.g. 'openjdk version "17.0.15"'.
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1 || true)
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || missing+=(openjdk-17-jre-headless)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "Missing system packages: ${missing[*]}. Install them as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "Installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
