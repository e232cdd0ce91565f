/** The shell: who is logged in, the top bar, the page for the path, friendly errors. */
import { useEffect } from "react";
import { confirmLeave, Link, navigate, resolve, usePath } from "./router";
import { routes } from "./routes";
import { useSession } from "./stores/session";
import { auth } from "./api/endpoints";
import { ErrorBoundary } from "./components/ui/ErrorBoundary";
import { Spinner } from "./components/ui/Spinner";
import { NotFoundPage } from "./pages/NotFoundPage";

export function App() {
  const path = usePath();
  const { status, user, check, setUser } = useSession();
  useEffect(() => {
    void check();
  }, [check]);

  const match = resolve(routes, path);
  useEffect(() => {
    if (status === "out" && match && !match.route.public)
      navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true, force: true });
  }, [status, match, path]);

  if (status === "unknown") return <Spinner label="Loading Netweave" />;
  const logout = async () => {
    if (!confirmLeave()) return;
    await auth.logout().catch(() => undefined);
    setUser(null);
    navigate("/login", { force: true });
  };
  const Page = match?.route.page;
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark">◆</span> Netweave
        </Link>
        <nav className="topnav">
          {user && (
            <>
              <Link to="/">Projects</Link>
              <Link to="/fleet">Fleet</Link>
            </>
          )}
        </nav>
        <div className="topbar-right">
          {user && (
            <>
              <span className="muted">{user.username}</span>
              <button className="btn btn-ghost" onClick={logout}>
                Log out
              </button>
            </>
          )}
        </div>
      </header>
      <main className="page">
        <ErrorBoundary key={path}>
          {Page && (match.route.public || status === "in") ? <Page params={match.params} /> : !match ? <NotFoundPage /> : null}
        </ErrorBoundary>
      </main>
    </div>
  );
}
