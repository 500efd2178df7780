import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage } from "../api";
import { applyEvent, extractOf, isRunning, requestStop, startAnswer, type LiveAnswer } from "../answerState";
import type { Conversation, Status } from "../types";
import type { OpenArticle } from "../App";
import { AnswerBlock } from "./AnswerBlock";
import { ConversationList } from "./ConversationList";
import { ErrorAlert } from "./ErrorAlert";

interface Props {
  status: Status | null;
  onOpenArticle: (a: OpenArticle) => void;
  onStatusChange: () => void;
}

/** The chat: conversations on the left, the current one in the middle, the question box below. */
export function ChatView({ status, onOpenArticle, onStatusChange }: Props) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [live, setLive] = useState<LiveAnswer | null>(null);
  const [question, setQuestion] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [listVersion, setListVersion] = useState(0);
  const bottom = useRef<HTMLDivElement>(null);

  const ready = status?.index.phase === "ready";
  const running = isRunning(live);

  useEffect(() => bottom.current?.scrollIntoView?.({ block: "end" }), [live?.text, conversation]);

  const openConversation = useCallback(async (id: number | null) => {
    setError(null);
    setInfo(null);
    setLive(null);
    if (id === null) {
      setConversation(null);
      return;
    }
    try {
      setConversation(await api.conversation(id));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  const send = async () => {
    const text = question.trim();
    if (!text || running) return;
    setError(null);
    setInfo(null);
    setQuestion("");
    setLive(startAnswer(text));
    const statusTimer = window.setTimeout(onStatusChange, 300);
    try {
      const outcome = await api.ask(conversation?.summary.id ?? null, text, (event) =>
        setLive((state) => (state ? applyEvent(state, event) : state)),
      );
      setConversation(await api.conversation(outcome.conversation.id));
      setLive(null);
      setListVersion((v) => v + 1);
    } catch (e) {
      setLive(null);
      setQuestion(text);
      setError(errorMessage(e));
    } finally {
      window.clearTimeout(statusTimer);
      onStatusChange();
    }
  };

  const stop = async () => {
    setLive((state) => (state ? requestStop(state) : state));
    try {
      await api.cancel();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const exportAs = async (format: "markdown" | "html") => {
    if (!conversation) return;
    try {
      const out = await api.exportConversation(conversation.summary.id, format);
      setInfo(`Conversation exportée : ${out.path}`);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <>
      <ConversationList
        currentId={conversation?.summary.id ?? null}
        version={listVersion}
        onOpen={openConversation}
        onChanged={(deletedId) => {
          if (deletedId !== undefined && deletedId === conversation?.summary.id) void openConversation(null);
          else if (conversation) void openConversation(conversation.summary.id);
          setListVersion((v) => v + 1);
        }}
      />
      <section className="vg-content" aria-label="Conversation">
        <div className="fr-grid-row fr-grid-row--middle fr-mb-1w">
          <h1 className="fr-h5 fr-mb-0" id="conversation-title" style={{ flex: 1 }}>
            {conversation?.summary.title ?? "Nouvelle conversation"}
          </h1>
          {conversation && (
            <div className="fr-btns-group fr-btns-group--inline fr-btns-group--sm fr-btns-group--icon-left">
              <button id="export-md" className="fr-btn fr-btn--secondary fr-btn--sm fr-icon-download-line" onClick={() => exportAs("markdown")}>
                Exporter en Markdown
              </button>
              <button id="export-html" className="fr-btn fr-btn--secondary fr-btn--sm fr-icon-printer-line" onClick={() => exportAs("html")}>
                HTML imprimable
              </button>
            </div>
          )}
        </div>
        {error && <ErrorAlert message={error} onClose={() => setError(null)} />}
        {info && (
          <div className="fr-alert fr-alert--success fr-alert--sm fr-mb-2w" id="export-info">
            <p>{info}</p>
          </div>
        )}
        <div className="vg-messages" id="messages">
          {!conversation && !live && (
            <div className="fr-callout fr-mt-2w">
              <p className="fr-callout__text">
                Posez une question sur le Code des douanes ou le CIBS. Vigie répond à partir des articles en vigueur
                et cite chacun d'eux : vérifiez la réponse en ouvrant les citations.
              </p>
            </div>
          )}
          {conversation?.messages.map((m) =>
            m.role === "question" ? (
              <div key={m.id} className="vg-question" data-role="question">
                {m.text}
              </div>
            ) : (
              <AnswerBlock
                key={m.id}
                extract={extractOf(m.answer)}
                confidence={m.answer?.confidence ?? null}
                text={m.answer?.answer ?? m.text}
                citations={m.answer?.citations ?? []}
                rejected={m.answer?.rejected_citations ?? []}
                answer={m.answer}
                streaming={false}
                stopped={m.stopped}
                onOpenArticle={onOpenArticle}
              />
            ),
          )}
          {live && (
            <div id="live-answer" data-status={live.status}>
              <div className="vg-question" data-role="question">
                {live.question}
              </div>
              {live.status === "waiting" && (
                <p className="fr-text--sm" id="answer-waiting">
                  {status?.model_loading
                    ? "Chargement du modèle…"
                    : live.extract.length > 0
                      ? "Le modèle prépare sa synthèse…"
                      : "Recherche des articles et préparation de la réponse…"}
                </p>
              )}
              {live.sources.length > 0 && (
                <p className="fr-text--xs" id="live-sources">
                  Sources proposées au modèle : {live.sources.map((s) => `art. ${s.article}`).join(", ")}
                </p>
              )}
              {live.status === "error" && live.error && <ErrorAlert message={live.error} />}
              <AnswerBlock
                extract={live.extract}
                confidence={live.confidence}
                text={live.text}
                citations={live.citations}
                rejected={live.rejected}
                answer={live.answer}
                streaming={running}
                stopped={live.status === "stopped"}
                onOpenArticle={onOpenArticle}
              />
            </div>
          )}
          <div ref={bottom} />
        </div>
        <div className="vg-composer">
          <div className="fr-input-group fr-mb-1w">
            <label className="fr-label" htmlFor="question-input">
              Votre question
              <span className="fr-hint-text">Entrée pour envoyer, Maj+Entrée pour aller à la ligne.</span>
            </label>
            <textarea
              id="question-input"
              className="fr-input"
              value={question}
              maxLength={2000}
              onChange={(e) => setQuestion(e.target.value)}
              onKeyDown={onKeyDown}
              disabled={!ready}
              placeholder={ready ? "Ex. : Quelles sont les peines encourues pour contrebande ?" : "Préparation de l'index…"}
            />
          </div>
          <div className="fr-btns-group fr-btns-group--inline fr-btns-group--icon-left">
            {running ? (
              <button id="stop-button" className="fr-btn fr-btn--secondary fr-icon-stop-circle-line" onClick={stop}>
                Arrêter
              </button>
            ) : (
              <button
                id="send-button"
                className="fr-btn fr-icon-send-plane-line"
                onClick={send}
                disabled={!ready || !question.trim()}
              >
                Envoyer
              </button>
            )}
          </div>
        </div>
      </section>
    </>
  );
}
