import type { PeerAddress } from '@strata/platform/config';
import type { PortClass } from '@strata/platform/ports';

export interface PeerBinding {
  /** The peer unit's name, for messages and logs. */
  unit: string;
  address: PeerAddress;
  /** The ports this unit needs and the peer hosts: each gets a remote binding. */
  ports: PortClass[];
}

/** TLS for internal traffic: PEM contents (not paths) of this unit's certificate and key, and the CA they trust. */
export interface InternalTls {
  cert: string;
  key: string;
  /** Set: peers must present a certificate it signed (mutual TLS), and servers are verified against it. */
  ca?: string;
}

/** How a unit takes part in internal calls; the runtime derives it from the topology. */
export interface TransportOptions {
  /** This unit's name: the identity its credential proves. */
  unit: string;
  /** Shared by every unit of a deployment; see `ServiceCredentials`. */
  secret: string;
  /** Ports this unit hosts and others call: served on its internal listener. */
  serve: PortClass[];
  /** Where the internal listener takes calls; required when the unit serves ports. */
  listen?: { address: PeerAddress; maxConnections: number };
  /** Per calling unit, the only ports it may call here (from the topology's plan); others are refused. */
  callers: { unit: string; ports: PortClass[] }[];
  peers: PeerBinding[];
  /** Longest a call may take when the caller has no earlier deadline of its own. */
  callTimeoutMs: number;
  /** Largest internal message accepted or sent, in characters of JSON. */
  maxMessageBytes: number;
  /**
   * Set: the internal listener serves TLS, and calls to peers use it (a peer listener without TLS
   * then refuses the connection).
   */
  tls?: InternalTls;
  /** Most calls this unit serves at once; more are refused as not run (the caller may retry). */
  maxInFlight?: number;
}

export const TRANSPORT_OPTIONS = Symbol('strata:transport-options');
