import { useCallback, useEffect, useState } from "react";
import { Header } from "@codegouvfr/react-dsfr/Header";
import { api, errorMessage } from "./api";
import type { Status } from "./types";
import { AiNotice } from "./components/AiNotice";
import { ChatView } from "./components/ChatView";
import { SearchView } from "./components/SearchView";
import { SettingsView } from "./components/SettingsView";
import { ArticlePanel } from "./components/ArticlePanel";
import { DocumentPanel } from "./components/DocumentPanel";
import { isDocumentId } from "./references";
import { StatusBar } from "./components/StatusBar";
import { ErrorAlert } from "./components/ErrorAlert";

export type View = "chat" | "search" | "settings";

/** What the article panel shows: an article, and the passage to highlight in it. */
export interface OpenArticle {
  id: string;
  passage?: string;
  /** Where the passage lies in the article text, in UTF-16 code units (passages of the extract). */
  range?: [number, number];
  /** The passage's place in the article ("I, 2°"), for passages of the extract. */
  location?: string;
}

export function App() {
  const [status, setStatus] = useState<Status | null>(null);
  const [startupError, setStartupError] = useState<string | null>(null);
  const [view, setView] = useState<View>("chat");
  const [article, setArticle] = useState<OpenArticle | null>(null);
  const [noticeOpen, setNoticeOpen] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const s = await api.status();
      setStatus(s);
      setStartupError(null);
      return s;
    } catch (e) {
      setStartupError(errorMessage(e));
      return null;
    }
  }, []);

  useEffect(() => {
    refresh().then((s) => {
      if (s && !s.settings.notice_acknowledged) setNoticeOpen(true);
    });
  }, [refresh]);

  // Follow the long steps (index build, model load) until they end.
  const busy =
    status !== null &&
    (status.index.phase === "opening" || status.index.phase === "building" || status.index.phase === "idle" || status.model_loading);
  useEffect(() => {
    if (!busy) return;
    const timer = window.setInterval(refresh, 800);
    return () => window.clearInterval(timer);
  }, [busy, refresh]);

  const acknowledge = async () => {
    if (status && !status.settings.notice_acknowledged) {
      try {
        await api.saveSettings({ ...status.settings, notice_acknowledged: true });
      } catch (e) {
        setStartupError(errorMessage(e));
      }
      await refresh();
    }
    setNoticeOpen(false);
  };

  const nav = (target: View, label: string, icon: string) => ({
    iconId: icon as never,
    text: label,
    // The DSFR header replaces a button's id: the menu entries are found by `data-nav`.
    buttonProps: {
      onClick: () => setView(target),
      "aria-current": view === target ? ("page" as const) : undefined,
      ...({ "data-nav": target } as object),
    },
  });

  return (
    <div className="vg-app">
      <Header
        brandTop={
          <>
            République
            <br />
            Française
          </>
        }
        serviceTitle="Vigie"
        serviceTagline="Assistant juridique hors ligne — Code des douanes et CIBS"
        homeLinkProps={{ href: "#", title: "Accueil — Vigie", onClick: () => setView("chat") }}
        quickAccessItems={[
          nav("chat", "Conversations", "fr-icon-chat-3-line"),
          nav("search", "Recherche", "fr-icon-search-line"),
          nav("settings", "Paramètres", "fr-icon-settings-5-line"),
          {
            iconId: "fr-icon-information-line",
            text: "À propos de l'IA",
            buttonProps: { onClick: () => setNoticeOpen(true), ...({ "data-nav": "notice" } as object) },
          },
        ]}
      />
      {startupError && (
        <div className="fr-container fr-my-2w">
          <ErrorAlert title="Vigie ne peut pas démarrer" message={startupError} />
        </div>
      )}
      <main className="vg-main" id="main">
        {/* Chat and search stay mounted while hidden: an answer being written, the open
            conversation and the last results survive a visit to another screen. */}
        <div className="vg-screen" hidden={view !== "chat"}>
          <ChatView status={status} onOpenArticle={setArticle} onStatusChange={refresh} />
        </div>
        <div className="vg-screen" hidden={view !== "search"}>
          <SearchView status={status} onOpenArticle={setArticle} />
        </div>
        {view === "settings" && <SettingsView status={status} onChanged={refresh} onShowNotice={() => setNoticeOpen(true)} />}
        {article &&
          (isDocumentId(article.id) ? (
            <DocumentPanel open={article} onClose={() => setArticle(null)} />
          ) : (
            <ArticlePanel open={article} onClose={() => setArticle(null)} />
          ))}
      </main>
      <StatusBar status={status} />
      {noticeOpen && <AiNotice onAcknowledge={acknowledge} firstTime={!status?.settings.notice_acknowledged} />}
    </div>
  );
}
