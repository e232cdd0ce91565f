import { Link } from "../router";

export function NotFoundPage() {
  return (
    <div className="empty-page">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at {window.location.pathname}. It may have been moved or deleted.</p>
      <Link to="/" className="btn">Back to projects</Link>
    </div>
  );
}
