"""End-to-end test of the desktop app: the real binary, in its real webview (WebKitGTK), driven
through tauri-driver and WebKitWebDriver, with the real corpus, index and small model.

Run by scripts/e2e.sh, which builds the app, prepares a fresh data directory and starts Xvfb
(optionally inside a network namespace with no interface). Screenshots of each screen are saved
under tests/screenshots/ (git-ignored); the README's pictures come from there.
"""

import json
import os
import pathlib
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

APP = os.environ["VIGIE_APP"]
DRIVER_URL = os.environ.get("VIGIE_DRIVER_URL", "http://127.0.0.1:4444")
SHOTS = pathlib.Path(os.environ.get("VIGIE_SCREENSHOTS", "tests/screenshots"))
EXPORTS = pathlib.Path(os.environ["VIGIE_EXPORT_DIR"])
# The first answer comes from the default model; the settings then switch to the smaller one,
# which answers the question that is stopped.
DEFAULT_MODEL = "qwen2.5-coder-0.5b"
MODEL = os.environ.get("VIGIE_E2E_MODEL", "smollm2")
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
QUESTION = "Que prévoit l'article 414 du code des douanes ?"
# Named by number, so answered with confidence: the model is called and can be stopped.
SECOND_QUESTION = "Que prévoit l'article 60 du code des douanes sur la visite des marchandises ?"
NOTE_QUESTION = "Qui vérifie les scellés des conteneurs en transit ?"
# No provision answers it: the two halves of retrieval disagree on the first article.
LOW_CONFIDENCE_QUESTION = "Quelle est la couleur de l'uniforme des agents des douanes ?"

SHOTS.mkdir(parents=True, exist_ok=True)
steps = []


def step(name):
    print(f"== {name}", flush=True)
    steps.append(name)


def session():
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": APP})
    driver = webdriver.Remote(DRIVER_URL, options=options)
    driver.implicitly_wait(0)
    # Typed paths are text for the app, not files for Selenium to upload.
    driver.file_detector = UselessFileDetector()
    return driver


def wait(driver, what, timeout=60, message=""):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]).until(what)
    except TimeoutException:
        shot(driver, "failure")
        raise AssertionError(f"timed out after {timeout}s: {message}")


def find(driver, css):
    return driver.find_elements(By.CSS_SELECTOR, css)


def one(driver, css, timeout=60):
    return wait(driver, lambda d: (find(d, css) or [None])[0], timeout, f"element {css}")


def shot(driver, name):
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"   screenshot {path}", flush=True)


def csp_violations(driver):
    return driver.execute_script("return window.__cspViolations || []")


def wait_ready(driver):
    # The index opens on a background thread; the question box is enabled when it is ready.
    wait(driver, lambda d: find(d, "#question-input") and find(d, "#question-input")[0].is_enabled(), 300, "index ready")


def text_of(driver, element):
    # The DOM text as written: WebDriver's `.text` is the rendered one, which CSS shapes.
    return driver.execute_script("return arguments[0].textContent", element) or ""


def norm(text):
    return " ".join(text.split())


def comes_before(driver, first, second):
    return driver.execute_script(
        "return !!(arguments[0].compareDocumentPosition(arguments[1]) & Node.DOCUMENT_POSITION_FOLLOWING)",
        first,
        second,
    )


def open_in_panel(driver, element, article_id, timeout=20):
    """Clicks what opens an article and waits for the panel to show that article's text."""
    element.click()
    wait(
        driver,
        lambda d: find(d, f'#article-panel[data-article-id="{article_id}"] #article-text'),
        timeout,
        f"article {article_id} opened in the panel",
    )
    return one(driver, "#article-panel")


def ask(driver, question):
    box = one(driver, "#question-input")
    box.click()
    box.send_keys(question)
    box.send_keys(Keys.ENTER)


# -- First launch ------------------------------------------------------------------------------
driver = session()
try:
    step("first launch shows the AI notice")
    notice = one(driver, "#ai-notice", 30)
    assert "intelligence artificielle" in notice.text, notice.text
    assert "Rien ne quitte ce poste" in notice.text, notice.text
    fonts = driver.execute_script("return document.fonts.check('16px Marianne')")
    assert fonts, "the Marianne font (bundled) is not loaded"
    shot(driver, "01-notice")
    one(driver, "#notice-accept").click()
    wait(driver, lambda d: not find(d, "#ai-notice"), 10, "notice closed")

    step("the notice can be shown again from the menu")
    one(driver, "[data-nav=notice]").click()
    one(driver, "#ai-notice", 10)
    one(driver, "#notice-accept").click()
    wait(driver, lambda d: not find(d, "#ai-notice"), 10, "notice closed")

    step("ask a question: streamed text, then citation chips")
    wait_ready(driver)
    ask(driver, QUESTION)
    one(driver, "#live-answer", 10)
    # Text arrives while the generation runs (the Stop button is shown only then).
    wait(
        driver,
        lambda d: find(d, "#stop-button") and len(one(d, "#live-answer .vg-answer-text").text) > 0,
        180,
        "streamed text while generating",
    )
    partial = one(driver, "#live-answer .vg-answer-text").text
    shot(driver, "02-chat-streaming")
    wait(driver, lambda d: not find(d, "#live-answer") and find(d, "[data-role=answer]"), 300, "answer finished")
    final = find(driver, "[data-role=answer] .vg-answer-text")[-1].text
    assert final and partial, (partial, final)
    first_answer = find(driver, "[data-role=answer]")[-1]
    synthesis = first_answer.find_elements(By.CSS_SELECTOR, "[data-testid=synthesis]")
    assert synthesis, "the synthesis block (or the sentence replacing it) is shown"
    usable = synthesis[0].get_attribute("data-usable") == "true"
    if usable:
        chips = wait(driver, lambda d: find(d, ".vg-citation-chip"), 10, "citation chips")
        assert any("414" in c.text for c in chips), [c.text for c in chips]
    else:
        # The engine found the model's text unusable: it shows its own sentence instead, and
        # no citation of a text that is not shown.
        print(f"   synthesis judged unusable: {final!r}", flush=True)
        chips = []
    assert "IA" in one(driver, ".vg-answer-footer").text
    assert DEFAULT_MODEL in one(driver, ".vg-answer-footer").text
    sources = [c.text for c in find(driver, ".vg-source-chip")]
    assert any("414" in c for c in sources), sources
    shot(driver, "03-chat-citations")

    step("open a citation: the article with its supporting passage")
    if chips:
        next(c for c in chips if "414" in c.text).click()
    else:
        # No citation to open: the article 414 passage of the extract opens it the same way.
        passage_414 = next(
            (p for p in find(driver, "[data-testid=extract-passage]") if p.get_attribute("data-article-id") == "CD-art-414"),
            None,
        )
        assert passage_414, "no citation and no passage of article 414 in the extract"
        passage_414.click()
    title = one(driver, "#article-title", 10)
    wait(driver, lambda d: "414" in one(d, "#article-title").text, 10, "article 414 opened")
    text = one(driver, "#article-text").text
    assert len(text) > 200, text
    assert find(driver, "#article-text mark"), "the supporting passage is highlighted"
    credit = one(driver, "#article-credit").text
    assert "Légifrance" in credit and "Licence Ouverte 2.0" in credit, credit
    assert find(driver, ".fr-breadcrumb"), "breadcrumb of headings"
    shot(driver, "04-article-panel")
    one(driver, "#tab-versions").click()
    wait(driver, lambda d: "2019" in one(d, "#article-versions").text or "01/07/2019" in one(d, "#article-versions").text, 10, "versions tab")
    shot(driver, "05-article-versions")
    one(driver, "#article-close").click()

    step("the answer quotes the code first: passages of its sources, then the synthesis")
    first_answer = find(driver, "[data-role=answer]")[-1]
    extract = first_answer.find_elements(By.CSS_SELECTOR, "[data-testid=extract]")
    assert extract and extract[0].is_displayed(), "the « Ce que dit le code » block is shown"
    assert "Ce que dit le code" in extract[0].text, extract[0].text
    synthesis = first_answer.find_elements(By.CSS_SELECTOR, "[data-testid=synthesis]")
    assert synthesis, "the synthesis block is shown"
    assert comes_before(driver, extract[0], synthesis[0]), "the extract comes before the synthesis"
    passages = extract[0].find_elements(By.CSS_SELECTOR, "[data-testid=extract-passage]")
    assert passages, "the extract lists passages"
    quoted = [
        (p.get_attribute("data-article-id"), norm(text_of(driver, p.find_element(By.CSS_SELECTOR, "[data-testid=extract-text]"))))
        for p in passages
    ]
    assert all(text for _, text in quoted), quoted
    # The text of every article shown in the sources, read from the article panel.
    source_texts = {}
    for chip in first_answer.find_elements(By.CSS_SELECTOR, ".vg-source-chip"):
        source_id = chip.get_attribute("data-article-id")
        if not source_id or source_id.startswith("DOC:") or source_id in source_texts:
            continue
        panel = open_in_panel(driver, chip, source_id)
        source_texts[source_id] = norm(text_of(driver, panel.find_element(By.CSS_SELECTOR, "#article-text")))
        one(driver, "#article-close").click()
    assert source_texts, "articles shown in the sources"
    assert any(text in article for _, text in quoted for article in source_texts.values()), (
        quoted,
        list(source_texts),
    )
    shot(driver, "03b-chat-extract")

    step("a passage of the extract opens its article with that passage highlighted")
    first_id, first_text = quoted[0]
    panel = open_in_panel(driver, passages[0], first_id)
    marks = wait(driver, lambda d: find(d, "#article-text [data-testid=article-highlight]"), 10, "passage highlighted")
    highlighted = [norm(text_of(driver, m)) for m in marks]
    assert first_text in highlighted, (first_text, highlighted)
    # Scrolled into view: the highlighted passage lies within the panel's visible height.
    wait(
        driver,
        lambda d: d.execute_script(
            "const m = arguments[0].getBoundingClientRect(), p = arguments[1].getBoundingClientRect();"
            "return m.bottom > p.top && m.top < p.bottom;",
            marks[0],
            panel,
        ),
        5,
        "the highlighted passage scrolled into view",
    )
    shot(driver, "04b-article-at-passage")
    one(driver, "#article-close").click()

    step("a question no provision answers directly: said first, closest articles, nothing verified")
    answers_before = len(find(driver, "[data-role=answer]"))
    ask(driver, LOW_CONFIDENCE_QUESTION)
    wait(
        driver,
        lambda d: not find(d, "#live-answer") and len(find(d, "[data-role=answer]")) > answers_before,
        120,
        "low-confidence answer finished",
    )
    low = find(driver, "[data-role=answer]")[-1]
    assert low.get_attribute("data-confidence") == "low", low.get_attribute("outerHTML")[:400]
    alert = low.find_element(By.CSS_SELECTOR, "[data-testid=low-confidence]")
    assert alert.is_displayed() and "fr-alert--warning" in alert.get_attribute("class")
    assert "Aucune disposition ne répond directement" in alert.text, alert.text
    nearest = low.find_elements(By.CSS_SELECTOR, "[data-testid=extract]")
    assert nearest and "les plus proches" in nearest[0].text, [n.text for n in nearest]
    assert comes_before(driver, alert, nearest[0]), "the alert comes before the passages"
    assert not low.find_elements(By.CSS_SELECTOR, "[data-testid=synthesis]"), "no synthesis"
    assert not low.find_elements(By.CSS_SELECTOR, ".vg-citation-chip"), "nothing shown as verified"
    assert low.find_elements(By.CSS_SELECTOR, ".vg-closest-chip"), "the closest articles to open"
    shot(driver, "04c-low-confidence")

    step(f"settings: choose the model {MODEL}")
    one(driver, "[data-nav=settings]").click()
    select = one(driver, "#settings-model")
    driver.execute_script(
        "const s = arguments[0]; const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;"
        "set.call(s, arguments[1]); s.dispatchEvent(new Event('change', { bubbles: true }));",
        select,
        MODEL,
    )
    one(driver, "#settings-save").click()
    one(driver, "#settings-saved", 10)
    wait(driver, lambda d: MODEL in one(d, "#status-model").text, 10, "footer shows the chosen model")
    shot(driver, "06-settings")
    policy = one(driver, "#policy-labels").text
    assert "diffusion-restreinte" in policy and "interdit" in policy, policy

    step("settings: add a model from a GGUF file, checksum verified")
    one(driver, "#model-import-path").send_keys(os.environ["VIGIE_E2E_IMPORT_GGUF"])
    one(driver, "#model-import-name").send_keys("petit")
    one(driver, "#model-import-sha256").send_keys(SMOLLM2_SHA256)
    one(driver, "#model-import-submit").click()
    done = one(driver, "#model-import-done", 120).text
    assert "Empreinte conforme" in done and SMOLLM2_SHA256 in done, done
    wait(driver, lambda d: any(o.get_attribute("value") == "petit" for o in find(d, "#settings-model option")), 10, "new model listed")
    shot(driver, "06b-model-imported")

    step("settings: import the service's notes, a marked one refused")
    notes = pathlib.Path(tempfile.mkdtemp(prefix="vigie-e2e-notes-"))
    (notes / "note-scelles.txt").write_text(
        "Note de service : les scellés posés sur les conteneurs en transit sont vérifiés par la "
        "brigade de surveillance à chaque escale.\n",
        encoding="utf-8",
    )
    (notes / "instruction-dr.txt").write_text(
        "Instruction cynophile\n\nDIFFUSION RESTREINTE\n\nLes chiens sont affectés au port du Havre.\n",
        encoding="utf-8",
    )
    one(driver, "#doc-import-path").send_keys(str(notes))
    one(driver, "#doc-import-collection").send_keys("notes")
    one(driver, "#doc-import-submit").click()
    done = one(driver, "#doc-import-done", 180).text
    assert "1 document(s) importé(s)" in done and "Refusé : instruction-dr.txt" in done, done
    wait(driver, lambda d: "notes" in one(d, "#policy-labels").text, 10, "collection listed under its label")
    shot(driver, "06c-documents-imported")
    one(driver, "[data-nav=chat]").click()

    step("a question on the note: the note is given to the model and opens from its chip")
    answers_before = len(find(driver, "[data-role=answer]"))
    ask(driver, NOTE_QUESTION)
    wait(
        driver,
        lambda d: not find(d, "#live-answer") and len(find(d, "[data-role=answer]")) > answers_before,
        300,
        "answer on the note finished",
    )
    note_chips = [c for c in find(driver, ".vg-source-chip") if "note-scelles.txt" in c.text]
    assert note_chips, [c.text for c in find(driver, ".vg-source-chip")]
    shot(driver, "06d-note-answer")
    note_chips[-1].click()
    wait(driver, lambda d: find(d, "#document-text") and "brigade de surveillance" in one(d, "#document-text").text, 20, "note opened")
    assert "interne" in one(driver, "#document-panel").text.lower()
    one(driver, "#document-close").click()

    step("stop a generation")
    ask(driver, SECOND_QUESTION)
    wait(driver, lambda d: find(d, "#stop-button") and len(one(d, "#live-answer .vg-answer-text").text) > 0, 180, "generation started")
    one(driver, "#stop-button").click()
    wait(driver, lambda d: not find(d, "#live-answer"), 60, "generation stopped")
    assert find(driver, "#stopped-badge"), "the stopped answer is marked as such"
    shot(driver, "07-stopped")

    step("export the conversation to Markdown")
    one(driver, "#export-md").click()
    info = one(driver, "#export-info", 20).text
    exported = sorted(EXPORTS.glob("*.md"))
    assert exported, f"no Markdown export in {EXPORTS}: {info}"
    md = exported[-1].read_text(encoding="utf-8")
    assert QUESTION in md and "Articles cités" in md and "Article 414" in md, md[:2000]
    assert MODEL in md and "Licence Ouverte 2.0" in md, md[:2000]

    step("search for 414 lands on the article")
    one(driver, "[data-nav=search]").click()
    box = one(driver, "#search-input")
    box.send_keys("414")
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: find(d, "#article-title") and "Article 414" in one(d, "#article-title").text, 30, "article 414 opened directly")
    assert find(driver, "#search-results li"), "results listed too"
    shot(driver, "08-search-414")

    step("no content-security violation")
    violations = csp_violations(driver)
    assert violations == [], violations
finally:
    driver.quit()

# -- Restart -----------------------------------------------------------------------------------
time.sleep(1)
driver = session()
try:
    step("after a restart the conversation is still there")
    assert not find(driver, "#ai-notice"), "the notice is acknowledged once"
    item = wait(driver, lambda d: [li for li in find(d, "#conversation-list li") if QUESTION[:30] in li.text], 30, "conversation listed")
    item[0].find_element(By.CSS_SELECTOR, "button.vg-conv").click()
    wait(driver, lambda d: len(find(d, "[data-role=answer]")) >= 2, 20, "both answers shown")
    if usable:
        assert find(driver, ".vg-citation-chip"), "citations kept"
    assert find(driver, "[data-testid=extract-passage]"), "the extract kept"
    assert find(driver, "[data-testid=low-confidence]"), "the low-confidence answer is still said so"
    assert find(driver, "#stopped-badge"), "stopped answer kept as stopped"
    shot(driver, "09-after-restart")
    assert csp_violations(driver) == []
finally:
    driver.quit()

print(json.dumps({"passed": steps}, ensure_ascii=False))
sys.exit(0)
