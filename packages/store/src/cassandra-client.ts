import type { Client } from 'cassandra-driver';

/** The driver client connectCassandra returns; apps hold it as this type and never import the driver. */
export type CassandraClient = Client;
