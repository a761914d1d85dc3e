"""What our HTTPS clients trust: a site's CA bundle, or the system's store, never nothing."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import certifi
import pytest

from core.errors import UsageError
from core.tls import system_ca_location, verify_setting


def test_without_a_bundle_the_systems_store_is_trusted_not_the_shipped_list() -> None:
    # A hospital's own CA is installed in the system's store: requests' default (the CA
    # list shipped with certifi) would not trust it.
    paths = ssl.get_default_verify_paths()
    found = system_ca_location()
    if found is None:
        pytest.skip("this system keeps no CA store where OpenSSL looks")
    assert found in (paths.cafile, paths.capath, paths.openssl_cafile, paths.openssl_capath)
    assert verify_setting(None) == found
    assert verify_setting("") == found
    assert verify_setting(None) != certifi.where()


def test_a_sites_bundle_is_used_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "hospital-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert verify_setting(str(bundle)) == str(bundle)
    with pytest.raises(UsageError, match="does not exist"):
        verify_setting(str(tmp_path / "missing.pem"))
    assert verify_setting(None) is not False  # verification is never turned off


def test_the_installed_apps_own_ca_list_is_passed_over_for_the_systems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyInstaller's start-up hook sets SSL_CERT_FILE to the CA list inside the bundle.
    paths = ssl.get_default_verify_paths()
    if not any(p and Path(p).exists() for p in (paths.openssl_cafile, paths.openssl_capath)):
        pytest.skip("this system keeps no CA store where OpenSSL looks")
    bundle = tmp_path / "bundle"
    shipped = bundle / "certifi" / "cacert.pem"
    shipped.parent.mkdir(parents=True)
    shipped.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(shipped))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert verify_setting(None) in (paths.openssl_cafile, paths.openssl_capath)
    site = tmp_path / "site-ca.pem"  # a site's own SSL_CERT_FILE still wins
    site.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(site))
    assert verify_setting(None) == str(site)
