import { useState, type FormEvent } from "react";
import { auth } from "../api/endpoints";
import { navigate } from "../router";
import { useSession } from "../stores/session";
import { ErrorNote } from "../components/ui/Spinner";

export function LoginPage() {
  const setUser = useSession((s) => s.setUser);
  const notice = useSession((s) => s.notice);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // GET /auth/me first so the CSRF cookie exists before the POST.
      await auth.me().catch(() => undefined);
      setUser(await auth.login(username, password));
      const next = new URLSearchParams(window.location.search).get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-page">
      <form className="card login-card" onSubmit={submit}>
        <h1>Sign in to Netweave</h1>
        <p className="muted">Design PyTorch models as graphs, train them, watch them learn.</p>
        {notice && <div className="notice" role="status" data-testid="login-notice">{notice}</div>}
        <label>
          Username
          <input name="username" autoFocus autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorNote message={error} />
        <button className="btn btn-primary" type="submit" disabled={busy || !username || !password}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
