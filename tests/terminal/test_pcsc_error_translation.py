"""Every PC/SC result the till can meet becomes one of our errors with a plain message."""
import pytest
from smartcard import scard

from terminal.errors import (
    CardCommunicationError, CardRemoved, CardReset, CardWaitTimeout, NoCard, PcscUnavailable,
    ReaderError, ReaderGone, ReaderNotFound,
)
from terminal.reader import translate


@pytest.mark.parametrize("hresult, error", [
    (scard.SCARD_E_NO_SERVICE, PcscUnavailable),
    (scard.SCARD_E_SERVICE_STOPPED, PcscUnavailable),
    (scard.SCARD_E_INVALID_HANDLE, PcscUnavailable),
    (scard.SCARD_E_NO_READERS_AVAILABLE, ReaderNotFound),
    (scard.SCARD_E_UNKNOWN_READER, ReaderGone),
    (scard.SCARD_E_READER_UNAVAILABLE, ReaderGone),
    (scard.SCARD_E_NO_SMARTCARD, NoCard),
    (scard.SCARD_E_TIMEOUT, CardWaitTimeout),
    (scard.SCARD_W_REMOVED_CARD, CardRemoved),
    (scard.SCARD_E_NOT_TRANSACTED, CardRemoved),
    (scard.SCARD_W_UNRESPONSIVE_CARD, CardRemoved),
    (scard.SCARD_F_COMM_ERROR, CardRemoved),
    (scard.SCARD_W_RESET_CARD, CardReset),
    (scard.SCARD_E_SHARING_VIOLATION, ReaderError),
    (scard.SCARD_E_INSUFFICIENT_BUFFER, CardCommunicationError),
])
def test_a_pcsc_result_becomes_our_error(hresult, error):
    translated = translate(hresult, "talking to the card", "Reader 1")
    assert type(translated) is error
    assert translated.message.endswith(".") and "0x" not in translated.message.split(".")[0] \
        or error in (PcscUnavailable, CardCommunicationError)


def test_an_unexpected_result_keeps_pcscs_own_text_and_code():
    message = translate(scard.SCARD_E_INSUFFICIENT_BUFFER, "reading the card").message
    assert "0x80100008" in message and "reading the card" in message
