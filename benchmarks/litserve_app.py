"""LitServe around parley's `EventExtractor`, batching as `parley serve` does: serve_libraries.py's other server.

    python benchmarks/litserve_app.py --model DIR --port PORT [--max-batch-size 32] [--max-wait-ms 10]

A module of its own because LitServe pickles the API object into its worker process.
"""

from __future__ import annotations

import argparse

import litserve as ls


class ParleyAPI(ls.LitAPI):
    """One article dict per request in, its extraction record out (what parley serve answers)."""

    def __init__(self, model: str, **options):
        super().__init__(**options)
        self.model = model

    def setup(self, device):
        from parley.inference import EventExtractor

        self.extractor = EventExtractor.from_pretrained(self.model, device="cpu", runtime="torch")

    def decode_request(self, request):
        return request

    def batch(self, inputs):
        return list(inputs)

    def predict(self, x):
        documents = x if isinstance(x, list) else [x]
        records = [r.to_record() for r in self.extractor.extract(documents)]
        return records if isinstance(x, list) else records[0]

    def unbatch(self, output):
        return output

    def encode_response(self, output):
        return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=10)
    args = parser.parse_args()
    api = ParleyAPI(
        args.model, max_batch_size=args.max_batch_size, batch_timeout=args.max_wait_ms / 1000, api_path="/v1/extract"
    )
    server = ls.LitServer(api, accelerator="cpu", devices=1, workers_per_device=1, timeout=120)
    server.run(host="127.0.0.1", port=args.port, num_api_servers=1, generate_client_file=False, log_level="warning")


if __name__ == "__main__":
    main()
