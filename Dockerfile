FROM python:3.13-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
COPY oversight ./oversight
COPY ledger ./ledger
RUN pip install --no-cache-dir . && useradd --system oversight && mkdir /keys && chown oversight /keys
USER oversight
ENV OVERSIGHT_VAR_DIR=/tmp/oversight
EXPOSE 8000
CMD ["oversight", "serve", "--host", "0.0.0.0", "--port", "8000"]
