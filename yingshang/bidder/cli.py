"""``yingshang-bidder``: the bidder's command-line tool (docs/bidder-tool.md).

``main(argv=None) -> int`` returns the exit code (0 ok, 1 internal error, 2 usage, 3 local input,
4 verification failed, 5 refused by the server, 6 server unavailable, 130 interrupted).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yingshang.bidder import TOOL_NAME, __version__
from yingshang.bidder.errors import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    BidderError,
    InputError,
    ServerUnavailable,
)

TOKEN_ENV = "YINGSHANG_TOKEN"  # noqa: S105 - the name of a variable, not a secret
SERVER_ENV = "YINGSHANG_SERVER"
EXIT_INTERRUPTED = 130


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _json(value: Any) -> None:
    _out(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a whole number, not {value!r}", code="bad_number") from None


def _password(args: argparse.Namespace) -> bytes | None:
    path = getattr(args, "key_password_file", None)
    if path is None:
        return None
    from yingshang.bidder.files import read_bytes

    return read_bytes(Path(path), "password file").rstrip(b"\r\n")


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    if args.token_file:
        from yingshang.bidder.files import read_bytes

        token = read_bytes(Path(args.token_file), "token file").decode("utf-8", "replace").strip()
        if token:
            return token
        raise InputError(f"the token file {args.token_file} is empty", code="no_token")
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    raise InputError(
        f"no API token: give --token, --token-file or set {TOKEN_ENV} (get one with `login`)", code="no_token"
    )


def _server(args: argparse.Namespace) -> str:
    server = args.server or os.environ.get(SERVER_ENV, "")
    if not server:
        raise InputError(f"no server: give --server URL or set {SERVER_ENV}", code="no_server")
    return str(server)


def _client(args: argparse.Namespace, *, token: bool = True) -> Any:
    from yingshang.bidder.client import BidderClient, RetryPolicy

    return BidderClient(
        _server(args),
        _token(args) if token else None,
        timeout=args.timeout,
        retry=RetryPolicy(attempts=args.retries),
    )


# -- commands ---------------------------------------------------------------------------------------


def cmd_pack(args: argparse.Namespace) -> int:
    from yingshang.bidder.packing import OpeningSheet, pack

    sheet = OpeningSheet(
        price_fen=_int(args.price_fen, "--price-fen"),
        duration_days=_int(args.duration_days, "--duration-days"),
        quality=args.quality,
        project_manager=args.project_manager,
    )
    result = pack(
        [Path(item) for item in args.inputs],
        Path(args.output),
        tender=args.tender,
        lot=args.lot,
        bidder=args.bidder,
        sheet=sheet,
        overwrite=args.force,
    )
    manifest = result.manifest
    _out(f"package:   {result.path} ({result.size} bytes, SHA-256 {result.sha256})")
    _out(f"documents: {len(manifest['files'])}")
    _out(f"price:     {sheet.price_fen} fen = {manifest['opening_sheet']['price_uppercase']}")
    unavailable = manifest["feature_codes"]["unavailable"]
    if unavailable:
        _err("feature codes not available on this machine: " + ", ".join(sorted(unavailable)))
    return EXIT_OK


def cmd_seal(args: argparse.Namespace) -> int:
    from yingshang.bidder import sealing

    chain = sealing.load_certificates(Path(args.cert), "signing certificate")
    for extra in args.chain or []:
        chain.extend(sealing.load_certificates(Path(extra), "chain certificate"))
    encryption = sealing.load_certificates(Path(args.enc_cert), "encryption certificate")[0]
    custodians = [
        sealing.load_certificates(Path(c), "custodian certificate")[0] for c in args.custodian or []
    ]
    if custodians and not args.threshold:
        raise InputError(
            "--custodian needs --threshold k (how many custodians together can open)", code="bad_threshold"
        )
    if args.threshold and not custodians:
        raise InputError("--threshold needs at least one --custodian certificate", code="bad_threshold")
    key = sealing.load_key(Path(args.key), _password(args), "signing key")
    outcome = sealing.seal_package(
        Path(args.package),
        Path(args.output),
        signer_key=key,
        signer_chain=chain,
        encryption_certificate=encryption,
        custodians=custodians,
        threshold=args.threshold or 0,
        overwrite=args.force,
        key_file=Path(args.key_file) if args.key_file else None,
    )
    _out(f"envelope:          {outcome.envelope} ({outcome.size} bytes)")
    _out(f"envelope SHA-256:  {outcome.envelope_sha256}")
    _out(f"ciphertext SHA-256: {outcome.ciphertext_sha256}")
    _out(f"content key:       {outcome.key_file} (mode 0600; keep it secret until the opening)")
    return EXIT_OK


def cmd_submit(args: argparse.Namespace) -> int:
    from yingshang.bidder import receipts, sealing
    from yingshang.bidder.files import write_json
    from yingshang.bidder.progress import Progress

    envelope = Path(args.envelope)
    header = sealing.envelope_header(envelope)
    tender = _int(args.tender if args.tender is not None else header.tender, "the tender id")
    lot = _int(args.lot if args.lot is not None else header.lot, "the lot id")
    if str(tender) != header.tender or str(lot) != header.lot:
        raise InputError(
            f"{envelope} is sealed for tender {header.tender} lot {header.lot}, not tender {tender} lot {lot}",
            code="wrong_tender",
        )
    public_key = receipts.read_public_key(Path(args.public_key)) if args.public_key else None
    receipt_path = Path(args.receipt) if args.receipt else envelope.with_name(envelope.name + ".receipt.json")
    with _client(args) as client:
        progress = Progress(envelope.stat().st_size, label="upload")
        try:
            result = client.upload(envelope, tender_id=tender, lot_id=lot, progress=progress)
        except ServerUnavailable as exc:
            if "run the same command again" not in exc.message:
                raise ServerUnavailable(f"{exc.message}; run the same command again to resume") from exc
            raise
    write_json(receipt_path, result.receipt)
    if public_key is not None:
        receipts.verify_receipt(result.receipt, public_key, envelope=envelope)
    else:
        hash_value = receipts.receipt_hash(result.receipt["receipt"])
        if hash_value is not None and hash_value != result.sha256:
            raise BidderError(f"the receipt names SHA-256 {hash_value}, the envelope has {result.sha256}")
    payload = result.receipt["receipt"]
    _out(f"receipt:   {receipt_path}")
    _out(f"bid:       {payload.get('bid_id', payload.get('bid', '?'))}")
    _out(f"SHA-256:   {result.sha256}")
    _out(f"received:  {payload.get('received_at', payload.get('arrived_at', '?'))}")
    if public_key is None:
        _err("the receipt's signature was not checked: run `receipt verify` with the platform's public key")
    return EXIT_OK


def cmd_receipt_verify(args: argparse.Namespace) -> int:
    from yingshang.bidder import receipts
    from yingshang.bidder.files import read_json

    document = read_json(Path(args.receipt))
    key = receipts.read_public_key(Path(args.public_key))
    check = receipts.verify_receipt(document, key, envelope=Path(args.envelope) if args.envelope else None)
    _out(f"valid receipt, signed by platform key {check.key_id}")
    if args.envelope:
        _out(f"it is the receipt of {args.envelope} (SHA-256 {check.envelope_sha256})")
    _json(check.payload)
    return EXIT_OK


def cmd_receipt_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _json(client.receipts())
    return EXIT_OK


def cmd_receipt_fetch(args: argparse.Namespace) -> int:
    from yingshang.bidder.files import write_json

    with _client(args) as client:
        document = client.receipt(args.bid)
    if args.output:
        write_json(Path(args.output), document)
        _out(f"receipt of bid {args.bid} saved as {args.output}")
    else:
        _json(document)
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _json(client.withdraw(args.bid))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    tender = _int(args.tender, "--tender")
    with _client(args) as client:
        _json(client.status(tender))
    return EXIT_OK


def _signer(args: argparse.Namespace) -> tuple[Any, list[bytes]]:
    from yingshang.bidder import sealing

    chain = sealing.load_certificates(Path(args.cert), "signing certificate")
    for extra in args.chain or []:
        chain.extend(sealing.load_certificates(Path(extra), "chain certificate"))
    return sealing.load_key(Path(args.key), _password(args), "signing key"), chain


def cmd_sign_qr(args: argparse.Namespace) -> int:
    from yingshang.bidder.client import BidderClient, RetryPolicy
    from yingshang.bidder.signin import parse_qr, sign_challenge

    qr = parse_qr(args.qr)
    key, chain = _signer(args)
    signature = sign_challenge(key, chain, qr.challenge)
    base = args.server or os.environ.get(SERVER_ENV, "")
    if not qr.url.startswith(("http://", "https://")) and not base:
        raise InputError("the QR code's url is relative: give --server", code="no_server")
    if not base:
        scheme, _, rest = qr.url.partition("://")
        base = f"{scheme}://{rest.split('/', 1)[0]}"
    with BidderClient(base, timeout=args.timeout, retry=RetryPolicy(attempts=args.retries)) as client:
        answer = client.post_signed_challenge(qr.url, qr.challenge_id, chain, signature)
    _out("signed: the waiting page can now sign in")
    if answer:
        _json(answer)
    return EXIT_OK


def cmd_login(args: argparse.Namespace) -> int:
    from yingshang.bidder.files import write_text
    from yingshang.bidder.signin import decode_challenge, sign_challenge

    key, chain = _signer(args)
    with _client(args, token=False) as client:
        challenge = client.challenge()
        signature = sign_challenge(key, chain, decode_challenge(challenge.get("challenge")))
        answer = client.exchange_token(str(challenge.get("challenge_id")), chain, signature)
    token = answer.get("token")
    if not isinstance(token, str) or not token:
        raise BidderError("the server answered without a token")
    if args.token_out:
        write_text(Path(args.token_out), token + "\n", secret=True)
        _err(
            f"token written to {args.token_out} (mode 0600), valid until {answer.get('expires_at')}, "
            f"for {answer.get('organisation')} ({answer.get('uscc')})"
        )
    else:
        _out(token)
        _err(
            f"valid until {answer.get('expires_at')}, for {answer.get('organisation')} ({answer.get('uscc')})"
        )
    return EXIT_OK


def cmd_open_key(args: argparse.Namespace) -> int:
    from yingshang.bidder import sealing

    enc_key = (
        sealing.load_key(Path(args.enc_key), _password(args), "encryption key") if args.enc_key else None
    )
    key, header = sealing.content_key_for(
        Path(args.envelope), key_file=Path(args.key_file) if args.key_file else None, enc_key=enc_key
    )
    with _client(args) as client:
        answer = client.release_content_key(args.bid, key)
    _out(f"content key of tender {header.tender} lot {header.lot} released for bid {args.bid}")
    if answer:
        _json(answer)
    return EXIT_OK


def cmd_clarifications(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _json(client.clarifications())
    return EXIT_OK


def cmd_clarify(args: argparse.Namespace) -> int:
    from yingshang.bidder.clarify import reply_body

    clarification_id = _int(args.clarification, "clarification id")
    if args.file:
        try:
            reply = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the reply file {args.file}: {exc}", code="bad_reply_file") from exc
    else:
        reply = args.text or ""
    key, chain = _signer(args)
    body = reply_body(clarification_id, reply, key, chain)
    with _client(args) as client:
        answer = client.reply_clarification(clarification_id, body)
    _out(f"signed reply to clarification {clarification_id} sent")
    if answer:
        _json(answer)
    return EXIT_OK


# -- parser -----------------------------------------------------------------------------------------


def _server_options(parser: argparse.ArgumentParser, *, token: bool = True) -> None:
    parser.add_argument(
        "--server", help=f"the platform's address, e.g. https://ggzy.example.cn (or ${SERVER_ENV})"
    )
    if token:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--token", help=f"API token from `login` (or ${TOKEN_ENV})")
        group.add_argument("--token-file", help="file holding the API token")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    parser.add_argument(
        "--retries", type=int, default=8, help="retries after connection errors and 5xx (default 8)"
    )


def _signer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cert", required=True, help="signing certificate (PEM, may hold the chain, or DER)")
    parser.add_argument("--key", required=True, help="signing private key (PEM or DER, PKCS#8/PKCS#1/SEC1)")
    parser.add_argument("--chain", action="append", help="intermediate certificate(s) (PEM), repeatable")
    parser.add_argument("--key-password-file", help="file holding the private key's password")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=TOOL_NAME, description="Pack, seal, submit and verify sealed bids.")
    parser.add_argument("--version", action="version", version=f"{TOOL_NAME} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _local_commands(commands)
    _server_commands(commands)
    _evaluation_commands(commands)
    return parser


def _local_commands(commands: Any) -> None:
    pack = commands.add_parser("pack", help="zip the bid documents with the manifest and feature codes")
    pack.add_argument("inputs", nargs="+", metavar="DIR-OR-FILE", help="a folder (walked) or files")
    pack.add_argument("--tender", required=True, help="tender id")
    pack.add_argument("--lot", required=True, help="lot id")
    pack.add_argument("--bidder", required=True, help="the bidder's unified social credit code (USCC)")
    pack.add_argument("--price-fen", required=True, help="bid price in fen (1 yuan = 100 fen)")
    pack.add_argument("--duration-days", required=True, help="duration in calendar days")
    pack.add_argument("--quality", required=True, help="quality commitment")
    pack.add_argument("--project-manager", required=True, help="project manager's name")
    pack.add_argument("-o", "--output", required=True, help="the package to write (bid.zip)")
    pack.add_argument("--force", action="store_true", help="replace an existing output")
    pack.set_defaults(run=cmd_pack)

    seal = commands.add_parser("seal", help="encrypt and sign a package into an envelope")
    seal.add_argument("package", help="the package made by `pack`")
    _signer_options(seal)
    seal.add_argument("--enc-cert", required=True, help="the bidder's encryption certificate")
    seal.add_argument(
        "--custodian", action="append", help="a custodian's certificate (k-of-n backup), repeatable"
    )
    seal.add_argument("--threshold", type=int, default=0, help="k: how many custodians together can open")
    seal.add_argument("-o", "--output", required=True, help="the envelope to write (bid.env)")
    seal.add_argument("--key-file", help="where to keep the content key (default <output>.key)")
    seal.add_argument("--force", action="store_true", help="replace an existing envelope and key file")
    seal.set_defaults(run=cmd_seal)


def _server_commands(commands: Any) -> None:
    submit = commands.add_parser("submit", help="upload an envelope (resumable) and keep the receipt")
    submit.add_argument("envelope")
    _server_options(submit)
    submit.add_argument("--tender", help="tender id (default: the envelope's)")
    submit.add_argument("--lot", help="lot id (default: the envelope's)")
    submit.add_argument("--public-key", help="the platform's receipt key (PEM): check the receipt at once")
    submit.add_argument("--receipt", help="where to save the receipt (default <envelope>.receipt.json)")
    submit.set_defaults(run=cmd_submit)

    receipt = commands.add_parser("receipt", help="receipts")
    receipt_commands = receipt.add_subparsers(dest="receipt_command", required=True, metavar="COMMAND")
    verify = receipt_commands.add_parser("verify", help="check a receipt offline")
    verify.add_argument("receipt", help="the receipt file (JSON)")
    verify.add_argument("--public-key", required=True, help="the platform's public key (PEM)")
    verify.add_argument("--envelope", help="the envelope the receipt should name")
    verify.set_defaults(run=cmd_receipt_verify)
    listing = receipt_commands.add_parser("list", help="your receipts, from the server")
    _server_options(listing)
    listing.set_defaults(run=cmd_receipt_list)
    fetch = receipt_commands.add_parser("fetch", help="download the receipt of one bid again")
    fetch.add_argument("--bid", required=True)
    fetch.add_argument("-o", "--output", help="save it here (default: print it)")
    _server_options(fetch)
    fetch.set_defaults(run=cmd_receipt_fetch)

    withdraw = commands.add_parser("withdraw", help="withdraw a bid before the deadline")
    withdraw.add_argument("--bid", required=True, help="bid id (from the receipt)")
    _server_options(withdraw)
    withdraw.set_defaults(run=cmd_withdraw)

    status = commands.add_parser("status", help="your bids on a tender")
    status.add_argument("--tender", required=True)
    _server_options(status)
    status.set_defaults(run=cmd_status)

    sign_qr = commands.add_parser("sign-qr", help="sign a sign-in QR code (stands in for the mobile signer)")
    sign_qr.add_argument("qr", metavar="QR", help="the QR code's JSON, or a file holding it")
    _signer_options(sign_qr)
    _server_options(sign_qr, token=False)
    sign_qr.set_defaults(run=cmd_sign_qr)

    login = commands.add_parser("login", help="sign in with the signing certificate; get an API token")
    _signer_options(login)
    _server_options(login, token=False)
    login.add_argument(
        "--token-file", dest="token_out", help="write the token here (mode 0600) instead of printing it"
    )
    login.set_defaults(run=cmd_login)

    open_key = commands.add_parser("open-key", help="release the content key at the opening")
    open_key.add_argument("envelope")
    open_key.add_argument("--bid", required=True)
    _server_options(open_key)
    source = open_key.add_mutually_exclusive_group()
    source.add_argument("--key-file", help="the content key file (default <envelope>.key)")
    source.add_argument("--enc-key", help="the encryption private key: re-derive the content key")
    open_key.add_argument("--key-password-file", help="file holding the encryption key's password")
    open_key.set_defaults(run=cmd_open_key)


def _evaluation_commands(commands: Any) -> None:
    questions = commands.add_parser(
        "clarifications", help="the evaluation committee's questions to you (评标澄清) and your replies"
    )
    _server_options(questions)
    questions.set_defaults(run=cmd_clarifications)

    clarify = commands.add_parser(
        "clarify", help="answer a clarification with a reply signed by your certificate"
    )
    clarify.add_argument("clarification", help="the clarification's id (from `clarifications`)")
    text = clarify.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="the reply")
    text.add_argument("--file", help="a UTF-8 text file holding the reply")
    _signer_options(clarify)
    _server_options(clarify)
    clarify.set_defaults(run=cmd_clarify)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return int(args.run(args))
    except BidderError as exc:
        _err(f"{TOOL_NAME}: error: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        _err(f"{TOOL_NAME}: interrupted (nothing half-written was kept; run the command again)")
        return EXIT_INTERRUPTED
    except Exception as exc:
        _err(f"{TOOL_NAME}: internal error: {type(exc).__name__}: {exc}")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
