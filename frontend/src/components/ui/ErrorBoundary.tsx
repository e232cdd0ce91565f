import { Component, type ReactNode } from "react";

/** A page that throws shows what happened and a way back, never a blank screen. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="empty-page">
        <h1>Something went wrong</h1>
        <p className="muted">{this.state.error.message}</p>
        <p>
          <button className="btn" onClick={() => window.location.reload()}>Reload the page</button>{" "}
          <a className="btn btn-ghost" href="/">Back to projects</a>
        </p>
      </div>
    );
  }
}
