"""E-mail end to end: the outbox through the real SMTP adapter (aiosmtplib) to a real SMTP
server on loopback (aiosmtpd), and the Telegram bot linked by a code read from the mail.

The worker's time is the `FixedClock` of the unit of work (backoff is a next-attempt time
in the database), so no test sleeps; waits on the server are bounded waits on what it got.
"""

from __future__ import annotations

import html
import logging
import re
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.domain.models import Delivery, OutboxEmail
from bot.domain.services import accounts, handoff, link_codes, mail_delivery, membership, staff
from bot.domain.services.mail_delivery import MailDelivery
from bot.domain.types import MailStatus, PasswordLinkPurpose, PaymentMethod
from bot.flows.i18n import Catalogs
from bot.flows.notices import notice_replies
from bot.handlers.delivery import DeliveryWorker
from bot.handlers.mail import SmtpMailer
from bot.handlers.mail_render import MailRenderer
from bot.handlers.slack_staff import Desk, parse
from bot.handlers.slack_staff import run as run_cps
from tests.channels.conftest import polling_bot
from tests.channels.smtp_server import PASSWORD, USERNAME, Received, SmtpServer, smtp_server
from tests.domain.builders import give_points, linked_chat, outbox_rows
from tests.support import START

SENDER = "donotreply@canoneurope.com"
FROM = f"Canon Professional Services <{SENDER}>"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def mailer_for(server: SmtpServer, **options: Any) -> SmtpMailer:
    return SmtpMailer(server.host, server.port, **{"security": "none", **options})


def worker(uow, mailer: SmtpMailer) -> DeliveryWorker:  # type: ignore[no-untyped-def]
    return DeliveryWorker(
        lambda: uow,
        [mail_delivery.TARGET],
        mailer.send,
        outbox=mail_delivery,
        name="mail",
        poll_seconds=60,
        backoff_seconds=1,
        backoff_max_seconds=60,
    )


# What each language's mails must say; the clock starts at 2026-11-25 09:00 UTC.
EXPECTED = {
    "it": {
        "welcome": "Benvenuto in Canon Professional Services: imposta la tua password",
        "password_set": "Imposta la tua password CPS",
        "password_reset": "Reimposta la tua password CPS",
        "link_code": "Il tuo codice per collegare la chat a CPS",
        "invitation": "Sei invitato al programma CPS",
        "invoice": "La tua fattura CPS INV-2026-",
        "link_expiry": "valido fino al 25 novembre 2026, 10:00 UTC",
        "code_expiry": "valido per 10 minuti, fino al 25 novembre 2026, 09:10 UTC",
        "spam": f"Cerca nella cartella spam o posta indesiderata i messaggi da {SENDER}",
        "points": "ha raggiunto 1.000 punti",
        "amount": "Importo: 50,00\u00a0€",  # Babel: a no-break space
        "due": "Scadenza: 9 dicembre 2026",
        "method": "Metodo di pagamento: bonifico bancario",
        "terms": "Il pagamento tramite bonifico bancario potrebbe comportare ulteriori spese",
    },
    "en": {
        "welcome": "Welcome to Canon Professional Services: set your password",
        "password_set": "Set your CPS password",
        "password_reset": "Reset your CPS password",
        "link_code": "Your code to link the chat with CPS",
        "invitation": "You are invited to the CPS programme",
        "invoice": "Your CPS invoice INV-2026-",
        "link_expiry": "valid until November 25, 2026, 10:00\u202fAM UTC",  # narrow no-break
        "code_expiry": "valid for 10 minutes, until November 25, 2026, 9:10\u202fAM UTC",
        "spam": f"Look in your spam or junk folder for messages from {SENDER}",
        "points": "has reached 1,000 points",
        "amount": "Amount: €50.00",
        "due": "Due date: December 25, 2026",
        "method": "Payment method: card",
        "terms": "Your card is not charged now but on the due date, December 25, 2026.",
    },
    "de": {
        "welcome": "Willkommen bei Canon Professional Services: Legen Sie Ihr Passwort fest",
        "password_set": "Legen Sie Ihr CPS-Passwort fest",
        "password_reset": "Setzen Sie Ihr CPS-Passwort zurück",
        "link_code": "Ihr Code zum Verknüpfen des Chats mit CPS",
        "invitation": "Ihre Einladung zum CPS-Programm",
        "invoice": "Ihre CPS-Rechnung INV-2026-",
        "link_expiry": "bis 25. November 2026, 10:00 UTC gültig",
        "code_expiry": "10 Minuten gültig, bis 25. November 2026, 09:10 UTC",
        "spam": f"Suchen Sie im Spam- oder Junk-Ordner nach Nachrichten von {SENDER}",
        "points": "Ihr Konto hat 1.000 Punkte erreicht",
        "amount": "Betrag: 50,00\u00a0€",
        "due": "Fällig am: 9. Dezember 2026",
        "method": "Zahlungsart: Banküberweisung",
        "terms": "Bei Zahlung per Banküberweisung können zusätzliche Gebühren anfallen",
    },
    "fr": {
        "welcome": "Bienvenue chez Canon Professional Services : définissez votre mot de passe",
        "password_set": "Définissez votre mot de passe CPS",
        "password_reset": "Réinitialisez votre mot de passe CPS",
        "link_code": "Votre code pour relier la conversation à CPS",
        "invitation": "Rejoignez le programme CPS",
        "invoice": "Votre facture CPS INV-2026-",
        "link_expiry": "valable jusqu'au 25 novembre 2026, 10:00 UTC",
        "code_expiry": "valable 10 minutes, jusqu'au 25 novembre 2026, 09:10 UTC",
        "spam": f"Recherchez les messages de {SENDER} dans votre dossier de courrier indésirable",
        "points": "Votre compte a atteint 1\u202f000 points",  # a narrow no-break space
        "amount": "Montant\u00a0: 50,00\u00a0€",  # French: a space before the colon
        "due": "Échéance\u00a0: 25 décembre 2026",
        "method": "Mode de paiement\u00a0: carte",
        "terms": "mais à la date d'échéance, le 25 décembre 2026.",
    },
    "es": {
        "welcome": "Bienvenido a Canon Professional Services: establezca su contraseña",
        "password_set": "Establezca su contraseña de CPS",
        "password_reset": "Restablezca su contraseña de CPS",
        "link_code": "Su código para vincular el chat con CPS",
        "invitation": "Queda invitado al programa CPS",
        "invoice": "Su factura de CPS INV-2026-",
        "link_expiry": "válido hasta el 25 de noviembre de 2026, 10:00 UTC",
        "code_expiry": "válido durante 10 minutos, hasta el 25 de noviembre de 2026, 9:10 UTC",
        "spam": f"Busque en la carpeta de spam o de correo no deseado los mensajes de {SENDER}",
        "points": "su cuenta ha alcanzado 1.000 puntos",
        "amount": "Importe: 50,00\u00a0€",
        "due": "Vencimiento: 9 de diciembre de 2026",
        "method": "Forma de pago: transferencia bancaria",
        "terms": "El pago por transferencia bancaria puede conllevar gastos adicionales",
    },
}
PAYMENT = {
    "it": PaymentMethod.BANK_TRANSFER,
    "en": PaymentMethod.CARD,
    "de": PaymentMethod.BANK_TRANSFER,
    "fr": PaymentMethod.CARD,
    "es": PaymentMethod.BANK_TRANSFER,
}


@pytest.mark.parametrize("language", ["it", "en", "de", "fr", "es"])
async def test_every_mail_a_member_gets_in_their_language(uow, clock, smtp, language):
    email = f"member.{language}@example.com"
    accounts.create_business_account(uow, email, language, "IT")  # welcome, first link
    accounts.send_password_link(uow, email, PasswordLinkPurpose.SET)
    accounts.send_password_link(uow, email, PasswordLinkPurpose.RESET)
    link_codes.request_link_code(uow, email, language)
    give_points(uow, email, 1000)  # the invitation
    membership.enrol(uow, email, "silver", PAYMENT[language])  # the invoice
    queued = {row.kind: row for row in outbox_rows(uow)}
    secrets = {kind: row.template_data.get("link") or row.template_data.get("code")
               for kind, row in queued.items()}  # fmt: skip

    assert await worker(uow, mailer_for(smtp)).run_once() == 6
    received = {r.message["Message-ID"]: r for r in await smtp.wait_for(6)}
    ids = {row.kind: row.message_id for row in outbox_rows(uow)}
    expected = EXPECTED[language]
    for kind in queued:
        mail = received[ids[kind]]
        assert (mail.mail_from, mail.rcpt_tos) == (SENDER, [email])
        assert mail.message["From"] == FROM and mail.message["To"] == email
        # a long subject is folded after "Subject:"; the reader unfolds it without the space
        assert mail.message["Subject"].lstrip().startswith(expected[kind]), kind
        assert mail.message["Auto-Submitted"] == "auto-generated"
        assert mail.message["Date"] == "Wed, 25 Nov 2026 09:00:00 +0000"
        assert mail.message["Content-Language"] == language
        assert mail.message.get_content_type() == "multipart/alternative"
        text, page = mail.part("plain"), mail.part("html")
        assert page.startswith(f'<!DOCTYPE html>\n<html lang="{language}">')
        assert "src=" not in page and "<script" not in page and "@import" not in page
        assert SENDER in text and SENDER in page
        if secrets[kind]:  # a link or a code: in both parts, with where to look for it
            assert secrets[kind] in text and html.escape(secrets[kind]) in page, kind
            assert expected["spam"] in text and expected["spam"] in html.unescape(page)
            expiry = expected["code_expiry" if kind == "link_code" else "link_expiry"]
            assert expiry in text, kind
    invoice = received[ids["invoice"]].part("plain")
    for line in ("amount", "due", "method", "terms"):
        assert expected[line] in invoice, line
    assert "bank_transfer" not in invoice and "EUR" not in invoice
    assert expected["points"] in received[ids["invitation"]].part("plain")

    after = outbox_rows(uow)  # sent, and no link or code is left in the database
    assert {r.status for r in after} == {MailStatus.SENT}
    stored = str([r.template_data for r in after])
    assert not [s for s in secrets.values() if s and s in stored]


async def test_a_temporary_refusal_is_retried_with_backoff_and_sent_once(uow, clock, smtp, caplog):
    email = "anna@example.com"
    accounts.create_business_account(uow, email, "it", "IT")
    [queued] = outbox_rows(uow)
    smtp.refuse("451 4.7.1 Greylisted, please try again later")
    mail = worker(uow, mailer_for(smtp))
    with caplog.at_level(logging.INFO):
        assert await mail.run_once() == 0  # 451: again in 1 s
        assert await mail.run_once() == 0  # not due yet
        assert smtp.handler.rcpt_attempts == 1 and smtp.received == []
        clock.advance(seconds=1)
        assert await mail.run_once() == 1
    [received] = await smtp.wait_for(1)
    [row] = outbox_rows(uow)
    assert (row.status, row.attempts) == (MailStatus.SENT, 1)
    assert row.last_error == "SMTP 451 4.7.1 Greylisted, please try again later"
    assert received.message["Message-ID"] == row.message_id
    assert queued.template_data["link"] in received.part("plain")
    assert row.template_data["link"] == "[sent]"
    assert "451" in caplog.text and queued.template_data["link"] not in caplog.text


async def test_a_server_that_is_down_leaves_the_mail_queued(uow, clock):
    accounts.create_business_account(uow, "anna@example.com", "it", "IT")
    with smtp_server() as gone:
        port = gone.port  # a port nothing listens on once the server is stopped
    down = worker(uow, SmtpMailer("127.0.0.1", port, security="none", timeout=2))
    assert await down.run_once() == 0
    [row] = outbox_rows(uow)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.PENDING, 1, "SMTPConnectError")


async def test_a_permanent_refusal_is_told_to_the_member_and_listed_for_staff(
    uow, clock, engine, smtp
):
    email = "anna@example.com"
    accounts.create_business_account(uow, email, "it", "IT")
    linked_chat(uow, email, "telegram:7", "it")
    mail = worker(uow, mailer_for(smtp))
    assert await mail.run_once() == 1  # the welcome mail went
    link_codes.request_link_code(uow, email, "it")
    smtp.refuse(f"550 5.1.1 <{email}>: Recipient address rejected: User unknown")
    assert await mail.run_once() == 1  # settled: refused for good
    clock.advance(hours=1)
    assert await mail.run_once() == 0 and smtp.handler.rcpt_attempts == 2  # never retried

    _, refused = outbox_rows(uow)
    assert (refused.kind, refused.status) == ("link_code", MailStatus.FAILED)
    assert refused.template_data["code"] == "[not delivered]"
    reason = "SMTP 550 5.1.1 <a***@example.com>: Recipient address rejected: User unknown"
    assert refused.last_error == reason
    with uow:  # the member is told in their chat, in their language
        [notice] = uow.session.scalars(select(Delivery).where(Delivery.target == "member")).all()
        assert notice.conversation_key == "telegram:7" and notice.payload["language"] == "it"
        payload = dict(notice.payload)
    [reply] = notice_replies(payload)
    told = Catalogs().reply_text("it", reply)
    assert told.startswith(
        "Non sono riuscito a consegnare l'e-mail con il codice per collegare la chat a "
        f"{email}: il server di posta di quell'indirizzo l'ha rifiutata."
    )

    url = engine.url.render_as_string(hide_password=False)
    queue = CliRunner(env={"CPS_DATABASE_URL": url}).invoke(cli, ["staff", "queue"])
    assert queue.exit_code == 0, queue.output
    assert queue.output == (
        "no open escalations\n"
        "1 e-mail(s) not delivered (refused by the member's server):\n"
        f"mail #{refused.id} link_code to a***@example.com: {reason} (2026-11-25 09:00 UTC)\n"
    )
    as_json = CliRunner(env={"CPS_DATABASE_URL": url}).invoke(cli, ["staff", "queue", "--json"])
    assert f'"type": "failed_mail", "mail_id": {refused.id}, "kind": "link_code"' in (
        as_json.output
    )
    answer = run_cps(Desk(lambda: uow, handoff, staff, 15), "U1", parse("queue"))
    assert f"• mail #{refused.id} `link_code` to a***@example.com · SMTP 550" in answer
    assert email not in queue.output + as_json.output + answer


async def test_starttls_with_a_login_and_never_in_the_clear(uow, clock, ca):
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    accounts.create_business_account(uow, "anna@example.com", "en", "GB")
    with smtp_server(server_context) as server:
        login = {"username": USERNAME, "password": SecretStr(PASSWORD)}
        plain = mailer_for(server, **login)  # the server requires STARTTLS first
        assert await worker(uow, plain).run_once() == 0
        distrustful = mailer_for(server, security="starttls", **login)  # unknown CA
        clock.advance(seconds=1)
        assert await worker(uow, distrustful).run_once() == 0
        assert server.received == []
        secure = mailer_for(server, security="starttls", tls_context=trusting, **login)
        clock.advance(seconds=2)
        assert await worker(uow, secure).run_once() == 1
        [received] = await server.wait_for(1)
    assert received.tls and received.login == USERNAME
    assert received.message["Subject"] == EXPECTED["en"]["welcome"]
    [row] = outbox_rows(uow)
    assert row.attempts == 2 and row.status is MailStatus.SENT


def test_mail_deliver_sends_what_is_due_once_and_prints_the_counts(uow, clock, engine, smtp):
    for name in ("anna", "bruno", "carla"):
        accounts.create_business_account(uow, f"{name}@example.com", "it", "IT")
    smtp.refuse("451 4.3.0 Mailbox busy", address="bruno@example.com")
    smtp.refuse("550 5.1.1 No such user", address="carla@example.com")
    env = {
        "CPS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CPS_SMTP_HOST": smtp.host,
        "CPS_SMTP_PORT": str(smtp.port),
        "CPS_SMTP_SECURITY": "none",
        "CPS_DELIVERY_BACKOFF_SECONDS": "600",  # bruno's mail is not due again at once
    }
    first = CliRunner(env=env).invoke(cli, ["mail", "deliver"])
    assert first.exit_code == 0, first.output
    assert first.stdout == "sent 1, retried 1, failed 1\n"
    assert [r.rcpt_tos for r in smtp.received] == [["anna@example.com"]]
    assert [r.status for r in outbox_rows(uow)] == [
        MailStatus.SENT,
        MailStatus.PENDING,
        MailStatus.FAILED,
    ]
    again = CliRunner(env=env).invoke(cli, ["mail", "deliver"])
    assert again.stdout == "sent 0, retried 0, failed 0\n"

    unset = {**env, "CPS_SMTP_HOST": ""}
    console = CliRunner(env=unset).invoke(cli, ["mail", "deliver"])
    assert console.exit_code == 2 and "smtp_host is not set" in console.stderr
    assert [r.status for r in outbox_rows(uow)][1] is MailStatus.PENDING  # left for the console


async def test_a_telegram_chat_links_by_the_code_that_came_by_smtp(settings, fake, member, smtp):
    mailing = settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "delivery_poll_seconds": 0.05,  # the mail worker looks for mail this often
        }
    )
    sofia = member(303, "it")
    async with polling_bot(mailing) as application:
        await sofia.say("quanti punti ho?", "collegare la chat")
        await sofia.say("sofia.conti@example.com", "6 cifre")
        mail: Received = await smtp.wait_until(
            lambda got: next((m for m in got if m.message["Subject"] == CODE_SUBJECT), None)
        )
        [code] = re.findall(r"^ +(\d{6})$", mail.part("plain"), re.MULTILINE)
        answers = await sofia.say(code, "Hai 2.000 punti")
        with application.channel.engine.services.uow() as uow:
            [row] = uow.session.scalars(
                select(OutboxEmail).where(OutboxEmail.kind == "link_code")
            ).all()
            stored = (row.status, row.message_id, dict(row.template_data))
    assert "collegata al tuo account sofia.conti@example.com" in "\n".join(answers)
    assert mail.rcpt_tos == ["sofia.conti@example.com"] and mail.message["From"] == FROM
    assert stored[:2] == (MailStatus.SENT, mail.message["Message-ID"])
    assert code not in str(stored[2])


CODE_SUBJECT = EXPECTED["it"]["link_code"]


class StrictCatalogs(Catalogs):
    """Refuses a message its language lacks (the catalogues fall back to English)."""

    def text(self, language: str, key: str) -> str:
        assert key in self.texts[language], (language, key)
        return super().text(language, key)


LINK = {"link": "https://cps.example.com/password/t0k3n", "expires_at": "2026-11-25T10:00:00+00:00"}
SAMPLES = {
    "welcome": LINK,
    "password_set": LINK,
    "password_reset": LINK,
    "link_code": {"code": "042917", "minutes": 10, "expires_at": "2026-11-25T09:10:00+00:00"},
    "invitation": {"points": 2600},
    **{
        f"invoice-{method.value}": {
            "invoice": "INV-2026-000001",
            "amount": "1000.00",
            "currency": "EUR",
            "due_date": "2026-12-25",
            "payment_method": method.value,
        }
        for method in PaymentMethod
    },
}  # fmt: skip


def test_every_kind_renders_in_every_catalogue_language_with_its_own_words():
    """A language is one more mail.po: each of them must word every mail completely."""
    catalogs = StrictCatalogs()
    mailer = SmtpMailer("127.0.0.1", renderer=MailRenderer(catalogs))
    for language in catalogs.languages:
        for sample, data in SAMPLES.items():
            kind = sample.partition("-")[0]
            mail = MailDelivery(1, kind, SENDER, "anna@example.com", language, data,
                                START, "<cps-mail-1-x@canoneurope.com>", 0)  # fmt: skip
            message = mailer.compose(mail)
            parts = [p.get_content() for p in message.iter_parts()]
            assert [p.get_content_type() for p in message.iter_parts()] == [
                "text/plain",
                "text/html",
            ]
            for part in parts:
                assert "mail." not in part and "{" not in part, (language, sample)
                assert "bank_transfer" not in part and "None" not in part, (language, sample)
